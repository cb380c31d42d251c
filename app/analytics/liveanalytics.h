#pragma once

#include "app/analytics/analyticsfeed.h"

#include <QDateTime>
#include <QObject>
#include <QPointer>
#include <QStringList>
#include <QTimer>
#include <QVariantList>
#include <QVector>
#include <QtQml/qqmlregistration.h>

namespace cc::app {

// One store's day so far (or the organisation's, with `organisation`), live from the
// AnalyticsFeed, as the wallboard and the dashboards show it: counts, the callers waiting now
// and for how long (ticking each second on the server's clock), the figures as numbers and as
// words ("83%", "–" when there is nothing to divide by), the day by hour for a chart, and how
// fresh it all is ("Live", or "As of 14:02 · 3 min ago" once the connection is gone). QML creates
// it, sets `feed` (the AnalyticsFeed singleton, or a test's) and `storeId`; the feed then asks
// the server for that store.
class LiveAnalytics : public QObject {
    Q_OBJECT
    QML_ELEMENT

    Q_PROPERTY(cc::app::AnalyticsFeed* feed READ feed WRITE setFeed NOTIFY feedChanged)
    Q_PROPERTY(QString storeId READ storeId WRITE setStoreId NOTIFY storeIdChanged)
    Q_PROPERTY(bool organisation READ organisation WRITE setOrganisation NOTIFY organisationChanged)

    Q_PROPERTY(bool hasData READ hasData NOTIFY figuresChanged)
    Q_PROPERTY(bool stale READ stale NOTIFY freshnessChanged)
    Q_PROPERTY(int ageSeconds READ ageSeconds NOTIFY freshnessChanged)
    Q_PROPERTY(QString freshnessText READ freshnessText NOTIFY freshnessChanged)
    Q_PROPERTY(QDateTime asOf READ asOf NOTIFY figuresChanged)
    Q_PROPERTY(QString date READ date NOTIFY figuresChanged)
    Q_PROPERTY(int serviceLevelSeconds READ serviceLevelSeconds NOTIFY figuresChanged)

    Q_PROPERTY(int offered READ offered NOTIFY figuresChanged)
    Q_PROPERTY(int answered READ answered NOTIFY figuresChanged)
    Q_PROPERTY(int abandoned READ abandoned NOTIFY figuresChanged)
    Q_PROPERTY(int missed READ missed NOTIFY figuresChanged)
    Q_PROPERTY(int callbacks READ callbacks NOTIFY figuresChanged)
    Q_PROPERTY(int selfServed READ selfServed NOTIFY figuresChanged)
    Q_PROPERTY(int answeredElsewhere READ answeredElsewhere NOTIFY figuresChanged)
    Q_PROPERTY(QString answeredText READ answeredText NOTIFY figuresChanged) // "42 / 45"

    Q_PROPERTY(int waiting READ waiting NOTIFY figuresChanged)
    Q_PROPERTY(int longestWaitSeconds READ longestWaitSeconds NOTIFY clockChanged)
    Q_PROPERTY(QString longestWaitText READ longestWaitText NOTIFY clockChanged) // "1:23"
    Q_PROPERTY(Tone waitTone READ waitTone NOTIFY clockChanged)

    Q_PROPERTY(double serviceLevel READ serviceLevel NOTIFY figuresChanged) // 0..1, NaN: none
    Q_PROPERTY(QString serviceLevelText READ serviceLevelText NOTIFY figuresChanged)
    Q_PROPERTY(Tone serviceLevelTone READ serviceLevelTone NOTIFY figuresChanged)
    Q_PROPERTY(double abandonRate READ abandonRate NOTIFY figuresChanged)
    Q_PROPERTY(QString abandonRateText READ abandonRateText NOTIFY figuresChanged)
    Q_PROPERTY(Tone abandonTone READ abandonTone NOTIFY figuresChanged)
    Q_PROPERTY(double asaSeconds READ asaSeconds NOTIFY figuresChanged)
    Q_PROPERTY(QString asaText READ asaText NOTIFY figuresChanged)
    Q_PROPERTY(double ahtSeconds READ ahtSeconds NOTIFY figuresChanged)
    Q_PROPERTY(QString ahtText READ ahtText NOTIFY figuresChanged)
    Q_PROPERTY(double fcrRate READ fcrRate NOTIFY figuresChanged)
    Q_PROPERTY(QString fcrText READ fcrText NOTIFY figuresChanged)

    // Calls by the store's hour, for a bar chart: the hours of a shop's day (08 to 19) and any
    // other hour that had calls.
    Q_PROPERTY(QStringList hourLabels READ hourLabels NOTIFY figuresChanged)
    Q_PROPERTY(QVariantList hourlyOffered READ hourlyOffered NOTIFY figuresChanged)
    Q_PROPERTY(QVariantList hourlyAnswered READ hourlyAnswered NOTIFY figuresChanged)
    Q_PROPERTY(int hourlyMaximum READ hourlyMaximum NOTIFY figuresChanged)

public:
    // How a figure stands against the usual contact-centre targets, for its colour.
    enum class Tone {
        Neutral, // nothing to judge yet
        Good,
        Fair,
        Poor,
    };
    Q_ENUM(Tone)

    // Targets: 80% answered within the threshold (fair from 60%), at most 5% abandoned (fair up
    // to 10%); a caller waiting longer than the threshold is fair, three times it poor.
    static constexpr double kServiceLevelGood = 0.8;
    static constexpr double kServiceLevelFair = 0.6;
    static constexpr double kAbandonGood = 0.05;
    static constexpr double kAbandonFair = 0.10;

    explicit LiveAnalytics(QObject* parent = nullptr);
    ~LiveAnalytics() override;

    AnalyticsFeed* feed() const { return m_feed; }
    void setFeed(AnalyticsFeed* feed);
    QString storeId() const { return m_storeId; }
    void setStoreId(const QString& storeId);
    bool organisation() const { return m_organisation; }
    void setOrganisation(bool organisation);

    bool hasData() const { return m_entry.receivedAtMs > 0; }
    bool stale() const { return !m_entry.live; }
    int ageSeconds() const;
    QString freshnessText() const { return m_freshness; }
    QDateTime asOf() const;
    QString date() const { return QString::fromStdString(m_entry.update.date); }
    int serviceLevelSeconds() const { return m_entry.update.serviceLevelSeconds; }

    int offered() const { return count(m_entry.update.totals.offered); }
    int answered() const { return count(m_entry.update.totals.answered); }
    int abandoned() const { return count(m_entry.update.totals.abandoned); }
    int missed() const { return count(m_entry.update.totals.missed); }
    int callbacks() const { return count(m_entry.update.totals.callbacks); }
    int selfServed() const { return count(m_entry.update.totals.selfServed); }
    int answeredElsewhere() const { return count(m_entry.update.totals.answeredElsewhere); }
    QString answeredText() const;

    int waiting() const { return m_entry.update.waiting; }
    int longestWaitSeconds() const { return m_longestWait; }
    QString longestWaitText() const;
    Tone waitTone() const;

    double serviceLevel() const;
    QString serviceLevelText() const;
    Tone serviceLevelTone() const;
    double abandonRate() const;
    QString abandonRateText() const;
    Tone abandonTone() const;
    double asaSeconds() const;
    QString asaText() const;
    double ahtSeconds() const;
    QString ahtText() const;
    double fcrRate() const;
    QString fcrText() const;

    QStringList hourLabels() const;
    QVariantList hourlyOffered() const;
    QVariantList hourlyAnswered() const;
    int hourlyMaximum() const;

    // Who answered today (stores only), as the update has it.
    const std::vector<protocol::PersonCounters>& people() const { return m_entry.update.people; }
    // The figures as they are, for the models built on them.
    const cc::analytics::Counters& totals() const { return m_entry.update.totals; }

    // How a service level or an abandon rate stands against the targets above.
    static Tone serviceLevelToneOf(std::optional<double> serviceLevel);
    static Tone abandonToneOf(std::optional<double> abandonRate);
    // "just now", "45 s ago", "3 min ago", "2 h ago", "3 days ago".
    static QString describeAge(qint64 seconds);

Q_SIGNALS:
    void feedChanged();
    void storeIdChanged();
    void organisationChanged();
    void figuresChanged();
    void freshnessChanged();
    void clockChanged();

private:
    static int count(std::int64_t n)
    {
        return static_cast<int>(std::min<std::int64_t>(n, INT32_MAX));
    }
    QString key() const { return m_organisation ? QString() : m_storeId; }
    void follow(AnalyticsFeed* feed, const QString& key, bool watch);
    void refresh();
    void tick();
    QPair<int, int> hourRange() const;

    QPointer<AnalyticsFeed> m_feed;
    QString m_storeId;
    bool m_organisation = false;
    bool m_watching = false;
    QString m_watchedKey;
    AnalyticsFeed::Entry m_entry;
    cc::analytics::Figures m_figures;
    int m_longestWait = 0;
    QString m_freshness;
    QTimer m_clock;
};

} // namespace cc::app
