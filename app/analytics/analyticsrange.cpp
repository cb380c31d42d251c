#include "app/analytics/analyticsrange.h"

#include "app/analytics/reportdata.h"

#include <QLocale>

namespace cc::app {

AnalyticsRange::AnalyticsRange(QObject* parent)
    : QObject(parent)
{
    std::tie(m_from, m_to) = daysOf(Last14Days, QDate::currentDate());
}

QStringList AnalyticsRange::presets() const
{
    return {tr("Today"),        tr("Last 7 days"), tr("Last 14 days"),  tr("Last 30 days"),
            tr("Last 90 days"), tr("This month"),  tr("Last 12 months")};
}

std::pair<QDate, QDate> AnalyticsRange::daysOf(Preset preset, QDate today)
{
    switch (preset) {
    case Today:
        return {today, today};
    case Last7Days:
        return {today.addDays(-6), today};
    case Last14Days:
        return {today.addDays(-13), today};
    case Last30Days:
        return {today.addDays(-29), today};
    case Last90Days:
        return {today.addDays(-89), today};
    case ThisMonth:
        return {QDate(today.year(), today.month(), 1), today};
    case Last12Months:
        return {today.addYears(-1).addDays(1), today};
    }
    return {today, today};
}

void AnalyticsRange::setPreset(int preset)
{
    if (preset < Today || preset > Last12Months) {
        if (m_preset != -1) {
            m_preset = -1; // "Custom": the days stay as they are until changed by hand
            Q_EMIT changed();
        }
        return;
    }
    const auto [from, to] = daysOf(static_cast<Preset>(preset), QDate::currentDate());
    if (preset == m_preset && from == m_from && to == m_to) {
        return;
    }
    m_preset = preset;
    m_from = from;
    m_to = to;
    Q_EMIT changed();
}

void AnalyticsRange::setFrom(const QString& from)
{
    const QDate day = QDate::fromString(from, Qt::ISODate);
    if (day == m_from && m_preset == -1) {
        return;
    }
    m_from = day;
    m_preset = -1;
    Q_EMIT changed();
}

void AnalyticsRange::setTo(const QString& to)
{
    const QDate day = QDate::fromString(to, Qt::ISODate);
    if (day == m_to && m_preset == -1) {
        return;
    }
    m_to = day;
    m_preset = -1;
    Q_EMIT changed();
}

QString AnalyticsRange::label() const
{
    if (!m_from.isValid() || !m_to.isValid()) {
        return {};
    }
    const QLocale locale;
    if (m_from == m_to) {
        return locale.toString(m_from, QStringLiteral("ddd d MMM yyyy"));
    }
    const QString first = m_from.year() == m_to.year()
                              ? locale.toString(m_from, QStringLiteral("d MMM"))
                              : locale.toString(m_from, QStringLiteral("d MMM yyyy"));
    return tr("%1 – %2").arg(first, locale.toString(m_to, QStringLiteral("d MMM yyyy")));
}

int AnalyticsRange::days() const
{
    return m_from.isValid() && m_to.isValid() ? static_cast<int>(m_from.daysTo(m_to)) + 1 : 0;
}

QString AnalyticsRange::problem() const
{
    return reports::problemWith(reports::Query{m_from, m_to, QStringLiteral("day"), {}});
}

} // namespace cc::app
