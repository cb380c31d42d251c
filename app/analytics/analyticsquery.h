#pragma once

#include "app/admin/serverlistmodel.h"
#include "app/analytics/reportdata.h"

#include <QDateTime>
#include <QStringList>
#include <QTimer>
#include <QtQml/qqmlregistration.h>

namespace cc::app {

// What the historical analytics models share (GET /v1/analytics; managers, executives and
// admins): the days (`from`, `to`: "YYYY-MM-DD", the stores' own calendars, inclusive; the last
// 14 days to start with), the stores (`locations`: empty for every store the person may see),
// one request for a burst of changes to them, and the answer's time and service-level
// threshold. A subclass says how it groups the figures and takes the answer in.
class AnalyticsQueryModel : public ServerListModel {
    Q_OBJECT
    QML_ANONYMOUS

    Q_PROPERTY(QString from READ from WRITE setFrom NOTIFY queryChanged)
    Q_PROPERTY(QString to READ to WRITE setTo NOTIFY queryChanged)
    Q_PROPERTY(QStringList locations READ locations WRITE setLocations NOTIFY queryChanged)
    Q_PROPERTY(QDateTime generatedAt READ generatedAt NOTIFY reportChanged)
    Q_PROPERTY(int serviceLevelSeconds READ serviceLevelSeconds NOTIFY reportChanged)
    Q_PROPERTY(int count READ count NOTIFY reportChanged)

public:
    QString from() const { return m_from.toString(Qt::ISODate); }
    void setFrom(const QString& from);
    QString to() const { return m_to.toString(Qt::ISODate); }
    void setTo(const QString& to);
    QStringList locations() const { return m_locations; }
    void setLocations(const QStringList& locations);
    QDateTime generatedAt() const;
    int serviceLevelSeconds() const { return m_serviceLevelSeconds; }
    int count() const { return rowCount(); }

    // Asks again, a moment later (property changes made together make one request). Without a
    // session there is nothing to ask: a model filled by hand keeps its rows.
    void reload() override;
    Q_INVOKABLE void refresh() { reload(); }

    // Takes the server's JSON answer (what a request does with it; a demo or test hands one
    // over directly). False, changing nothing, when it is not an answer of this model's grouping.
    bool takeAnswer(const QByteArray& body);

    reports::Query query() const;

Q_SIGNALS:
    void queryChanged();
    void reportChanged();

protected:
    explicit AnalyticsQueryModel(QObject* parent);
    virtual QString grouping() const = 0;
    // The new answer; the subclass resets its rows.
    virtual void take(reports::Report report) = 0;
    void queryChangedInternally();

private:
    void fetchNow();

    QDate m_from;
    QDate m_to;
    QStringList m_locations;
    qint64 m_generatedAtMs = 0;
    int m_serviceLevelSeconds = 20;
    QTimer m_soon;
};

} // namespace cc::app
