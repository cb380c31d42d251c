#pragma once

#include "app/analytics/analyticsquery.h"

#include <QStringList>
#include <QVector>
#include <QtQml/qqmlregistration.h>

namespace cc::app {

// When the calls come, by weekday and hour over a range of days (by=weekday_hour): one cell per
// weekday (Monday first) and hour, row by row, over the hours that had calls (at least a shop's
// day, 08 to 19), for a grid of coloured cells. `measure` says what a cell counts (offered,
// answered, abandoned, or serviceLevel); `intensity` is its share of the busiest cell.
class AnalyticsHeatMap : public AnalyticsQueryModel {
    Q_OBJECT
    QML_ELEMENT

    Q_PROPERTY(QString measure READ measure WRITE setMeasure NOTIFY measureChanged)
    Q_PROPERTY(int firstHour READ firstHour NOTIFY reportChanged)
    Q_PROPERTY(int columns READ columns NOTIFY reportChanged) // hours per weekday
    Q_PROPERTY(QStringList hourLabels READ hourLabels NOTIFY reportChanged)
    Q_PROPERTY(QStringList weekdayLabels READ weekdayLabels CONSTANT)
    Q_PROPERTY(double maximum READ maximum NOTIFY reportChanged)

public:
    enum Role {
        WeekdayRole = Qt::UserRole + 1, // ISO: 1 Monday … 7 Sunday
        HourRole,
        ValueRole, // NaN when there is none (a service level without calls)
        ValueTextRole,
        IntensityRole,   // 0..1 of the busiest cell; -1 when there is no value
        DescriptionRole, // "Monday 13:00: 42 offered"
    };
    Q_ENUM(Role)

    explicit AnalyticsHeatMap(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    QString measure() const { return m_measure; }
    void setMeasure(const QString& measure);
    int firstHour() const { return m_firstHour; }
    int columns() const { return m_lastHour - m_firstHour + 1; }
    QStringList hourLabels() const;
    QStringList weekdayLabels() const;
    double maximum() const { return m_maximum; }

Q_SIGNALS:
    void measureChanged();

protected:
    QString grouping() const override { return QStringLiteral("weekday_hour"); }
    void take(reports::Report report) override;

private:
    double valueOf(const cc::analytics::Counters& c) const;
    void rebuild();

    QString m_measure = QStringLiteral("offered");
    // Counters by (weekday - 1) * 24 + hour.
    QVector<cc::analytics::Counters> m_cells = QVector<cc::analytics::Counters>(7 * 24);
    int m_firstHour = 8;
    int m_lastHour = 19;
    double m_maximum = 0;
};

} // namespace cc::app
