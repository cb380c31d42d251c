#pragma once

#include "shared/analytics/measures.h"
#include "shared/domain/role.h"
#include "shared/util/result.h"

#include <boost/json/object.hpp>
#include <pqxx/connection>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

// Historical figures (docs/analytics.md, "Historical"): sums over the rollup tables that
// migration 0007's triggers keep, grouped as the caller asks, within what their role may see.
namespace cc::server::analytics {

enum class Grouping { Organisation, Region, Store, Person, Day, Hour, WeekdayHour };
std::string_view toString(Grouping grouping);

inline constexpr int kMaxReportDays = 400;

// GET /v1/analytics?from=2026-11-01&to=2026-11-27&by=store&location=<id>,<id>&format=csv
struct ReportQuery {
    std::string from; // inclusive local dates, YYYY-MM-DD, each store's own calendar
    std::string to;
    Grouping by = Grouping::Store;
    std::vector<std::string> locations; // empty: every store the caller may see
    bool csv = false;
};

// Reads and validates a query string (the part after '?'); the error says what is wrong.
Result<ReportQuery, std::string> parseReportQuery(std::string_view query);

struct ReportRow {
    std::string key;
    std::string label;
    cc::analytics::Counters counters;
    std::int64_t callbacksDue = 0;      // callback tasks due in the period so far
    std::int64_t callbacksInTarget = 0; // of them, done by their due time
    // Occupancy (groupings by organisation, region, store and person): the talk and wrap-up of
    // the calls the people of the group handled (wherever the call was for), over their staffed
    // time. Both 0 for groupings by time.
    std::int64_t peopleHandleMs = 0;
    std::int64_t staffedMs = 0;
};

struct Report {
    ReportQuery query;
    int serviceLevelSeconds = 20;
    std::int64_t generatedAtMs = 0;
    std::vector<ReportRow> rows;
    ReportRow totals;
};

enum class ReportRefusal { UnknownStore, NoStores };

// Runs the query for a caller of `organisationId` with `role`: managers see only their stores
// (asking for another is UnknownStore), executives and admins the whole organisation.
Result<Report, ReportRefusal> runReport(pqxx::connection& conn, const std::string& organisationId,
                                        const std::string& userId, domain::Role role,
                                        const ReportQuery& query);

boost::json::object reportToJson(const Report& report);
// RFC 4180: CRLF line ends, fields quoted when they hold a comma, quote or line end; a field
// that a spreadsheet would read as a formula is prefixed with an apostrophe.
std::string reportToCsv(const Report& report);

// An organisation's thresholds, as stored (defaults when never set).
cc::analytics::Settings readSettings(pqxx::connection& conn, const std::string& organisationId);

} // namespace cc::server::analytics
