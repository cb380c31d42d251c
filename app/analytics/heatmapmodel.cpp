#include "app/analytics/heatmapmodel.h"

#include "app/analytics/figuretext.h"

#include <QLocale>

#include <algorithm>
#include <cmath>

namespace cc::app {
namespace {
constexpr int kFirstShopHour = 8;
constexpr int kLastShopHour = 19;
} // namespace

AnalyticsHeatMap::AnalyticsHeatMap(QObject* parent)
    : AnalyticsQueryModel(parent)
{}

int AnalyticsHeatMap::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : 7 * columns();
}

QVariant AnalyticsHeatMap::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
        return {};
    }
    const int weekday = index.row() / columns() + 1;
    const int hour = m_firstHour + index.row() % columns();
    const cc::analytics::Counters& c = m_cells.at((weekday - 1) * 24 + hour);
    const double v = valueOf(c);
    const bool ratio = m_measure == QLatin1String("serviceLevel");
    switch (role) {
    case WeekdayRole:
        return weekday;
    case HourRole:
        return hour;
    case ValueRole:
        return v;
    case Qt::DisplayRole:
    case ValueTextRole:
        return ratio ? figures::percent(std::isnan(v) ? std::nullopt : std::optional<double>(v))
                     : figures::count(static_cast<qint64>(v));
    case IntensityRole:
        if (std::isnan(v)) {
            return -1.0;
        }
        return ratio ? v : (m_maximum > 0 ? v / m_maximum : 0.0);
    case DescriptionRole: {
        const QString when = QStringLiteral("%1 %2:00")
                                 .arg(QLocale().dayName(weekday, QLocale::LongFormat))
                                 .arg(hour, 2, 10, QLatin1Char('0'));
        if (ratio) {
            return tr("%1: service level %2")
                .arg(when,
                     figures::percent(std::isnan(v) ? std::nullopt : std::optional<double>(v)));
        }
        return tr("%1: %2 %3").arg(when, figures::count(static_cast<qint64>(v)), m_measure);
    }
    default:
        return {};
    }
}

QHash<int, QByteArray> AnalyticsHeatMap::roleNames() const
{
    return {{WeekdayRole, "weekday"},     {HourRole, "hour"},
            {ValueRole, "value"},         {ValueTextRole, "valueText"},
            {IntensityRole, "intensity"}, {DescriptionRole, "description"}};
}

void AnalyticsHeatMap::setMeasure(const QString& measure)
{
    if (measure == m_measure) {
        return;
    }
    m_measure = measure;
    Q_EMIT measureChanged();
    beginResetModel();
    rebuild();
    endResetModel();
    Q_EMIT reportChanged();
}

QStringList AnalyticsHeatMap::hourLabels() const
{
    QStringList labels;
    for (int h = m_firstHour; h <= m_lastHour; ++h) {
        labels << QStringLiteral("%1").arg(h, 2, 10, QLatin1Char('0'));
    }
    return labels;
}

QStringList AnalyticsHeatMap::weekdayLabels() const
{
    QStringList labels;
    for (int d = 1; d <= 7; ++d) {
        labels << QLocale().dayName(d, QLocale::ShortFormat);
    }
    return labels;
}

double AnalyticsHeatMap::valueOf(const cc::analytics::Counters& c) const
{
    if (m_measure == QLatin1String("answered")) {
        return static_cast<double>(c.answered);
    }
    if (m_measure == QLatin1String("abandoned")) {
        return static_cast<double>(c.abandoned);
    }
    if (m_measure == QLatin1String("serviceLevel")) {
        return figures::raw(cc::analytics::figuresOf(c).serviceLevel);
    }
    return static_cast<double>(c.offered);
}

void AnalyticsHeatMap::take(reports::Report report)
{
    beginResetModel();
    m_cells.fill(cc::analytics::Counters{});
    for (const auto& row : report.rows) {
        if (const auto slot = reports::weekdayHourOf(row.key)) {
            m_cells[(slot->first - 1) * 24 + slot->second] = row.counters;
        }
    }
    rebuild();
    endResetModel();
}

void AnalyticsHeatMap::rebuild()
{
    m_firstHour = kFirstShopHour;
    m_lastHour = kLastShopHour;
    m_maximum = 0;
    for (int i = 0; i < m_cells.size(); ++i) {
        if (m_cells.at(i).empty()) {
            continue;
        }
        m_firstHour = std::min(m_firstHour, i % 24);
        m_lastHour = std::max(m_lastHour, i % 24);
        const double v = valueOf(m_cells.at(i));
        if (!std::isnan(v)) {
            m_maximum = std::max(m_maximum, v);
        }
    }
}

} // namespace cc::app
