#pragma once

#include "app/analytics/analyticsquery.h"

#include <QVariantList>
#include <QVariantMap>
#include <QtQml/qqmlregistration.h>

namespace cc::app {

// The figures of a range of days grouped one way (`by`: store, region, person, day, hour,
// organisation), one row per store, region, person, day or hour: for the ranked tables
// (sortBy() any column; rows without a figure go last whichever way) and the trend charts
// (points()). exportCsv() saves the same figures as the server's CSV file (the server audits
// each export). QML creates it and sets `session`, `by` and the range.
class AnalyticsReport : public AnalyticsQueryModel {
    Q_OBJECT
    QML_ELEMENT

    Q_PROPERTY(QString by READ by WRITE setBy NOTIFY byChanged)
    // The role rows are sorted by ("serviceLevel", "offered", "label", …); empty: the server's
    // order (by day: oldest first).
    Q_PROPERTY(QString sortRole READ sortRole WRITE setSortRole NOTIFY sortChanged)
    Q_PROPERTY(bool descending READ descending WRITE setDescending NOTIFY sortChanged)
    // The whole range's figures, by the same names as the roles.
    Q_PROPERTY(QVariantMap totals READ totals NOTIFY reportChanged)
    Q_PROPERTY(bool exporting READ exporting NOTIFY exportChanged)
    // How the last export went, in words ("Saved to /home/…/stores.csv").
    Q_PROPERTY(QString exportMessage READ exportMessage NOTIFY exportChanged)
    Q_PROPERTY(bool exportFailed READ exportFailed NOTIFY exportChanged)

public:
    enum Role {
        KeyRole = Qt::UserRole + 1, // store / region / person id, "2025-11-27", "13"
        LabelRole,                  // "Downtown (DT-01)", "Thu 27 Nov", "13:00"
        RankRole,                   // 1 for the first row in the current order
        OfferedRole,
        AnsweredRole,
        AbandonedRole,
        MissedRole,
        CallbacksRole,
        SelfServedRole,
        OutboundRole,
        AnsweredElsewhereRole,
        ServiceLevelRole, // ratios 0..1, durations in seconds; NaN when there is none
        ServiceLevelTextRole,
        ServiceLevelToneRole, // LiveAnalytics::Tone against the target
        AbandonRateRole,
        AbandonRateTextRole,
        AsaRole,
        AsaTextRole,
        AhtRole,
        AhtTextRole,
        FcrRole,
        FcrTextRole,
        CallbackRateRole,
        CallbackRateTextRole,
        TimeRole, // by day: the day's start (ms since the epoch, local); by hour: the hour
    };
    Q_ENUM(Role)

    explicit AnalyticsReport(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    QString by() const { return m_by; }
    void setBy(const QString& by);
    QString sortRole() const { return m_sortRole; }
    void setSortRole(const QString& role);
    bool descending() const { return m_descending; }
    void setDescending(bool descending);
    QVariantMap totals() const;
    bool exporting() const { return m_exporting; }
    QString exportMessage() const { return m_exportMessage; }
    bool exportFailed() const { return m_exportFailed; }

    // Sorts by this role: again on the same role turns the order round. Counts and ratios start
    // highest first, names and ASA/AHT (lower is better) lowest first.
    Q_INVOKABLE void sortBy(const QString& role);
    // The rows as chart points (x: TimeRole, else the row; y: the role's value, ratios in
    // percent), in the server's order, leaving out rows without a value.
    Q_INVOKABLE QVariantList points(const QString& role) const;
    // The largest value of a role (ratios in percent), 0 when there is none.
    Q_INVOKABLE double maximum(const QString& role) const;
    // Where exportCsv() saves without a path: the Downloads folder (else Documents, else home),
    // "callcommander-stores-2025-11-01-to-2025-11-30.csv".
    Q_INVOKABLE QString suggestedExportPath() const;
    // Asks the server for the CSV of the current query and saves it to `path` (empty: the
    // suggested one), on a worker thread.
    Q_INVOKABLE void exportCsv(const QString& path);

Q_SIGNALS:
    void byChanged();
    void sortChanged();
    void exportChanged();

protected:
    QString grouping() const override { return m_by; }
    void take(reports::Report report) override;

private:
    QVariant value(const reports::Row& row, int role) const;
    void sortRows();
    void finishExport(const QString& message, bool failed);

    QString m_by = QStringLiteral("store");
    QString m_sortRole;
    bool m_descending = true;
    QVector<reports::Row> m_rows; // in the current order
    QVector<reports::Row> m_serverOrder;
    reports::Row m_totals;
    bool m_exporting = false;
    QString m_exportMessage;
    bool m_exportFailed = false;
    quint64 m_export = 0;
};

} // namespace cc::app
