#include "app/analytics/reportdata.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUrlQuery>

#include <array>
#include <cmath>
#include <utility>

namespace cc::app::reports {
namespace {

constexpr qsizetype kMaxRows = 100000;

// The counters on the wire, by their snake_case names (as in the live messages).
const std::array<std::pair<QLatin1String, std::int64_t cc::analytics::Counters::*>, 15>
    kCounterFields{{
        {QLatin1String("offered"), &cc::analytics::Counters::offered},
        {QLatin1String("answered"), &cc::analytics::Counters::answered},
        {QLatin1String("answered_in_sl"), &cc::analytics::Counters::answeredInSl},
        {QLatin1String("abandoned"), &cc::analytics::Counters::abandoned},
        {QLatin1String("short_abandoned"), &cc::analytics::Counters::shortAbandoned},
        {QLatin1String("missed"), &cc::analytics::Counters::missed},
        {QLatin1String("callbacks"), &cc::analytics::Counters::callbacks},
        {QLatin1String("self_served"), &cc::analytics::Counters::selfServed},
        {QLatin1String("outbound"), &cc::analytics::Counters::outbound},
        {QLatin1String("wait_answered_ms"), &cc::analytics::Counters::waitAnsweredMs},
        {QLatin1String("handled"), &cc::analytics::Counters::handled},
        {QLatin1String("talk_ms"), &cc::analytics::Counters::talkMs},
        {QLatin1String("wrap_ms"), &cc::analytics::Counters::wrapMs},
        {QLatin1String("fcr_resolved"), &cc::analytics::Counters::fcrResolved},
        {QLatin1String("answered_elsewhere"), &cc::analytics::Counters::answeredElsewhere},
    }};

QString tr(const char* text)
{
    return QCoreApplication::translate("reports", text);
}

// A whole, non-negative number that JSON carries exactly.
std::optional<qint64> count(const QJsonValue& v)
{
    if (v.isUndefined() || v.isNull()) {
        return qint64{0};
    }
    if (!v.isDouble()) {
        return std::nullopt;
    }
    const double d = v.toDouble();
    if (!std::isfinite(d) || d < 0 || d > 9007199254740992.0 || d != std::floor(d)) {
        return std::nullopt;
    }
    return static_cast<qint64>(d);
}

std::optional<Row> rowOf(const QJsonValue& value)
{
    if (!value.isObject()) {
        return std::nullopt;
    }
    const QJsonObject o = value.toObject();
    Row row;
    row.key = o.value(QLatin1String("key")).toString();
    row.label = o.value(QLatin1String("label")).toString();
    if (row.key.isEmpty()) {
        return std::nullopt;
    }
    for (const auto& [name, member] : kCounterFields) {
        const auto n = count(o.value(name));
        if (!n) {
            return std::nullopt;
        }
        row.counters.*member = *n;
    }
    const auto due = count(o.value(QLatin1String("callbacks_due")));
    const auto inTarget = count(o.value(QLatin1String("callbacks_in_target")));
    if (!due || !inTarget) {
        return std::nullopt;
    }
    row.callbacksDue = *due;
    row.callbacksInTarget = *inTarget;
    const QJsonValue rate = o.value(QLatin1String("callback_rate"));
    if (rate.isDouble() && std::isfinite(rate.toDouble())) {
        row.callbackRate = rate.toDouble();
    }
    return row;
}

} // namespace

bool isGrouping(const QString& by)
{
    static const QStringList kGroupings{QStringLiteral("organisation"), QStringLiteral("region"),
                                        QStringLiteral("store"),        QStringLiteral("person"),
                                        QStringLiteral("day"),          QStringLiteral("hour"),
                                        QStringLiteral("weekday_hour")};
    return kGroupings.contains(by);
}

QString problemWith(const Query& query)
{
    if (!query.from.isValid() || !query.to.isValid()) {
        return tr("Choose the first and the last day.");
    }
    if (query.from > query.to) {
        return tr("The first day is after the last day.");
    }
    if (query.from.daysTo(query.to) > kMaxRangeDays) {
        return tr("Choose at most %1 days.").arg(kMaxRangeDays);
    }
    if (!isGrouping(query.by)) {
        return tr("Unknown grouping \"%1\".").arg(query.by);
    }
    return {};
}

QString pathOf(const Query& query, bool csv)
{
    QUrlQuery q;
    q.addQueryItem(QStringLiteral("from"), query.from.toString(Qt::ISODate));
    q.addQueryItem(QStringLiteral("to"), query.to.toString(Qt::ISODate));
    q.addQueryItem(QStringLiteral("by"), query.by);
    if (!query.locations.isEmpty()) {
        q.addQueryItem(QStringLiteral("location"), query.locations.join(QLatin1Char(',')));
    }
    if (csv) {
        q.addQueryItem(QStringLiteral("format"), QStringLiteral("csv"));
    }
    return QStringLiteral("/v1/analytics?") + q.toString(QUrl::FullyEncoded);
}

std::optional<Report> parse(const QByteArray& body)
{
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(body, &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject()) {
        return std::nullopt;
    }
    const QJsonObject o = doc.object();
    Report r;
    r.from = QDate::fromString(o.value(QLatin1String("from")).toString(), Qt::ISODate);
    r.to = QDate::fromString(o.value(QLatin1String("to")).toString(), Qt::ISODate);
    r.by = o.value(QLatin1String("by")).toString();
    const QJsonValue sl = o.value(QLatin1String("serviceLevelSeconds"));
    if (!r.from.isValid() || !r.to.isValid() || !isGrouping(r.by) || !sl.isDouble()) {
        return std::nullopt;
    }
    r.serviceLevelSeconds = sl.toInt();
    if (r.serviceLevelSeconds < 1 || r.serviceLevelSeconds > 3600) {
        return std::nullopt;
    }
    r.generatedAtMs = static_cast<qint64>(o.value(QLatin1String("generatedAtMs")).toDouble());
    const QJsonValue rows = o.value(QLatin1String("rows"));
    if (!rows.isArray() || rows.toArray().size() > kMaxRows) {
        return std::nullopt;
    }
    for (const auto& value : rows.toArray()) {
        auto row = rowOf(value);
        if (!row) {
            return std::nullopt;
        }
        r.rows.push_back(std::move(*row));
    }
    if (const QJsonValue totals = o.value(QLatin1String("totals")); totals.isObject()) {
        auto row = rowOf(totals);
        if (!row) {
            return std::nullopt;
        }
        r.totals = std::move(*row);
    }
    return r;
}

std::optional<std::pair<int, int>> weekdayHourOf(const QString& key)
{
    const qsizetype dash = key.indexOf(QLatin1Char('-'));
    if (dash <= 0) {
        return std::nullopt;
    }
    bool dayOk = false;
    bool hourOk = false;
    const int day = key.left(dash).toInt(&dayOk);
    const int hour = key.mid(dash + 1).toInt(&hourOk);
    if (!dayOk || !hourOk || day < 1 || day > 7 || hour < 0 || hour > 23) {
        return std::nullopt;
    }
    return std::pair{day, hour};
}

} // namespace cc::app::reports
