#include "app/analytics/analyticsquery.h"

namespace cc::app {
namespace {
constexpr qint64 kDefaultDays = 14;
} // namespace

AnalyticsQueryModel::AnalyticsQueryModel(QObject* parent)
    : ServerListModel(parent)
    , m_from(QDate::currentDate().addDays(1 - kDefaultDays))
    , m_to(QDate::currentDate())
{
    m_soon.setSingleShot(true);
    m_soon.setInterval(0);
    connect(&m_soon, &QTimer::timeout, this, &AnalyticsQueryModel::fetchNow);
}

void AnalyticsQueryModel::setFrom(const QString& from)
{
    const QDate day = QDate::fromString(from, Qt::ISODate);
    if (day == m_from) {
        return;
    }
    m_from = day;
    queryChangedInternally();
}

void AnalyticsQueryModel::setTo(const QString& to)
{
    const QDate day = QDate::fromString(to, Qt::ISODate);
    if (day == m_to) {
        return;
    }
    m_to = day;
    queryChangedInternally();
}

void AnalyticsQueryModel::setLocations(const QStringList& locations)
{
    if (locations == m_locations) {
        return;
    }
    m_locations = locations;
    queryChangedInternally();
}

void AnalyticsQueryModel::queryChangedInternally()
{
    Q_EMIT queryChanged();
    reload();
}

QDateTime AnalyticsQueryModel::generatedAt() const
{
    return m_generatedAtMs > 0 ? QDateTime::fromMSecsSinceEpoch(m_generatedAtMs) : QDateTime();
}

reports::Query AnalyticsQueryModel::query() const
{
    return reports::Query{m_from, m_to, grouping(), m_locations};
}

void AnalyticsQueryModel::reload()
{
    if (session() != nullptr) {
        m_soon.start();
    }
}

void AnalyticsQueryModel::fetchNow()
{
    const reports::Query q = query();
    if (const QString problem = reports::problemWith(q); !problem.isEmpty()) {
        setError(problem);
        return;
    }
    fetch(reports::pathOf(q), [this](const QByteArray& body) { return takeAnswer(body); });
}

bool AnalyticsQueryModel::takeAnswer(const QByteArray& body)
{
    auto report = reports::parse(body);
    if (!report || report->by != grouping()) {
        return false;
    }
    m_generatedAtMs = report->generatedAtMs;
    m_serviceLevelSeconds = report->serviceLevelSeconds;
    take(std::move(*report));
    Q_EMIT reportChanged();
    return true;
}

} // namespace cc::app
