#pragma once

#include "shared/analytics/measures.h"

#include <QByteArray>
#include <QDate>
#include <QString>
#include <QStringList>
#include <QVector>

#include <optional>

// The server's historical figures (GET /v1/analytics, docs/analytics.md) as plain data: what
// the report models ask for and how they read the answer. Pure: no network, no Qt objects.
namespace cc::app::reports {

// What to ask for. Dates are the stores' own local dates, inclusive.
struct Query {
    QDate from;
    QDate to;
    QString by;            // organisation, region, store, person, day, hour, weekday_hour
    QStringList locations; // empty: every store the person may see
    bool operator==(const Query&) const = default;
};

inline constexpr qint64 kMaxRangeDays = 400; // the server refuses longer ranges

// Whether the server takes this grouping.
bool isGrouping(const QString& by);
// Why the server would refuse the query, in words for people; empty when it is fine.
QString problemWith(const Query& query);
// The request path with its query string; `csv` asks for the same figures as a CSV file.
QString pathOf(const Query& query, bool csv = false);

// One row of an answer: a store, a region, a person, a day, an hour or a weekday's hour.
struct Row {
    QString key;   // an id, "2025-11-27", "13", "1-13" (Monday 13:00) or "total"
    QString label; // "Downtown (DT-01)", a region's or a person's name
    cc::analytics::Counters counters;
    qint64 callbacksDue = 0;
    qint64 callbacksInTarget = 0;
    std::optional<double> callbackRate; // callbacks made within their target, of those due
    bool operator==(const Row&) const = default;
};

struct Report {
    QDate from;
    QDate to;
    QString by;
    int serviceLevelSeconds = 20;
    qint64 generatedAtMs = 0;
    QVector<Row> rows;
    Row totals;
    bool operator==(const Report&) const = default;
};

// Reads the server's JSON answer; nullopt when it is not one.
std::optional<Report> parse(const QByteArray& body);

// A weekday_hour key "1-13" as (ISO weekday 1-7, hour 0-23); nullopt when it is not one.
std::optional<std::pair<int, int>> weekdayHourOf(const QString& key);

} // namespace cc::app::reports
