#include "server/analytics/report.h"

#include "shared/sync/schema.h"
#include "shared/telephony/twilio.h"

#include <boost/json.hpp>
#include <pqxx/pqxx>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <map>
#include <set>

namespace json = boost::json;

namespace cc::server::analytics {

using cc::analytics::Counters;

namespace {

constexpr std::size_t kMaxLocations = 1000;

// The rollup columns, in the order the queries below select them.
constexpr std::array<std::pair<std::string_view, std::int64_t Counters::*>, 15> kColumns{{
    {"offered", &Counters::offered},
    {"answered", &Counters::answered},
    {"answered_in_sl", &Counters::answeredInSl},
    {"abandoned", &Counters::abandoned},
    {"short_abandoned", &Counters::shortAbandoned},
    {"missed", &Counters::missed},
    {"callbacks", &Counters::callbacks},
    {"self_served", &Counters::selfServed},
    {"outbound", &Counters::outbound},
    {"wait_answered_ms", &Counters::waitAnsweredMs},
    {"handled", &Counters::handled},
    {"talk_ms", &Counters::talkMs},
    {"wrap_ms", &Counters::wrapMs},
    {"fcr_resolved", &Counters::fcrResolved},
    {"answered_elsewhere", &Counters::answeredElsewhere},
}};

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t daysFromCivil(int y, unsigned m, unsigned d)
{
    y -= m <= 2 ? 1 : 0;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return std::int64_t{era} * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::optional<std::int64_t> parseDate(std::string_view s)
{
    if (s.size() != 10 || s[4] != '-' || s[7] != '-') {
        return std::nullopt;
    }
    int parts[3] = {0, 0, 0};
    const std::array<std::pair<std::size_t, std::size_t>, 3> spans{{{0, 4}, {5, 2}, {8, 2}}};
    for (std::size_t i = 0; i < spans.size(); ++i) {
        for (std::size_t j = 0; j < spans[i].second; ++j) {
            const char c = s[spans[i].first + j];
            if (c < '0' || c > '9') {
                return std::nullopt;
            }
            parts[i] = parts[i] * 10 + (c - '0');
        }
    }
    const int y = parts[0];
    const int m = parts[1];
    const int d = parts[2];
    if (y < 2000 || y > 2999 || m < 1 || m > 12 || d < 1) {
        return std::nullopt;
    }
    static constexpr std::array<int, 12> kDays{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    const int last = m == 2 && leap ? 29 : kDays[static_cast<std::size_t>(m - 1)];
    if (d > last) {
        return std::nullopt;
    }
    return daysFromCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
}

std::optional<Grouping> groupingFromString(std::string_view s)
{
    for (const Grouping g :
         {Grouping::Organisation, Grouping::Region, Grouping::Store, Grouping::Person,
          Grouping::Day, Grouping::Hour, Grouping::WeekdayHour}) {
        if (toString(g) == s) {
            return g;
        }
    }
    return std::nullopt;
}

std::string arrayLiteral(const std::vector<std::string>& ids)
{
    std::string out = "{";
    for (std::size_t i = 0; i < ids.size(); ++i) {
        out += (i == 0 ? "" : ",") + ids[i];
    }
    return out + "}";
}

// How one grouping reads: the rollup table, its date filter, the group key over the rollup
// (alias s) and over a callback task (alias t, with `local` its due time on the store's clock).
struct Shape {
    std::string_view table;
    std::string_view dateFilter; // of the rollup; by time of day, see reportSql
    std::string_view key;
    std::string_view taskKey;
    std::string_view label; // over the grouped rows (alias g) and the joined x
    std::string_view join;
    std::string_view order;
    // By time of day: the key over call_stats_hour_profile (alias s), which answers for the
    // period's whole months; the hourly table then answers only for the partial months.
    std::string_view profileKey = {};
};

Shape shapeOf(Grouping by)
{
    constexpr std::string_view kDaily = "s.local_date BETWEEN $2::date AND $3::date";
    switch (by) {
    case Grouping::Organisation:
        return {"call_stats_daily",
                kDaily,
                "s.organisation_id::text",
                "t.organisation_id::text",
                "x.name",
                "LEFT JOIN organisations x ON x.id = $1::uuid AND x.id::text = g.k",
                "1"};
    case Grouping::Region:
        return {"call_stats_daily",
                kDaily,
                "coalesce(l.region_id::text, '')",
                "coalesce(l.region_id::text, '')",
                "coalesce(x.name, 'No region')",
                "LEFT JOIN regions x ON x.organisation_id = $1::uuid AND x.id::text = g.k",
                "2, 1"};
    case Grouping::Store:
        return {"call_stats_daily",
                kDaily,
                "s.location_id::text",
                "t.location_id::text",
                "coalesce(x.name || ' (' || x.code || ')', 'Former store')",
                "LEFT JOIN locations x ON x.organisation_id = $1::uuid AND x.id::text = g.k",
                "2, 1"};
    case Grouping::Person:
        return {"agent_stats_daily",
                kDaily,
                "s.user_id::text",
                "t.assigned_to::text",
                "coalesce(x.display_name, 'Former user')",
                "LEFT JOIN users x ON x.organisation_id = $1::uuid AND x.id::text = g.k",
                "2, 1"};
    case Grouping::Day:
        return {
            "call_stats_daily", kDaily, "s.local_date::text", "local::date::text", "g.k", "", "1"};
    // Grouped by integers (a year of 500 stores is millions of store-hours), shown as text.
    case Grouping::Hour:
        return {"call_stats_hourly",
                {},
                "extract(hour FROM s.local_hour)::int",
                "extract(hour FROM local)::int",
                "g.k::text",
                "",
                "g.k",
                "s.hour_of_day::int"};
    case Grouping::WeekdayHour:
        return {
            "call_stats_hourly",
            {},
            "extract(isodow FROM s.local_hour)::int * 100 + extract(hour FROM s.local_hour)::int",
            "extract(isodow FROM local)::int * 100 + extract(hour FROM local)::int",
            "(g.k / 100) || '-' || (g.k % 100)",
            "",
            "g.k",
            "s.isodow::int * 100 + s.hour_of_day::int"};
    }
    return shapeOf(Grouping::Store);
}

std::string reportSql(Grouping by)
{
    const Shape s = shapeOf(by);
    std::string columns;
    std::string sums;
    std::string zeros;
    std::string out;
    int n = 0;
    for (const auto& [name, member] : kColumns) {
        const std::string c = "c" + std::to_string(++n);
        columns += ", s." + std::string(name);
        sums += ", sum(" + std::string(name) + ")::bigint AS " + c;
        zeros += ", 0";
        out += ", g." + c;
    }
    // The key as the answer shows it: by time, the label is the key.
    const std::string keyOut =
        by == Grouping::Hour || by == Grouping::WeekdayHour ? std::string(s.label) : "g.k";
    // Only the region needs the store's row.
    const std::string rollupFrom =
        by == Grouping::Region ? " s JOIN locations l ON l.id = s.location_id" : " s";
    // On the rollup's own column, so its primary key (location first) serves a few stores.
    const std::string rollupFilter = "($4::uuid[] = '{}' OR s.location_id = ANY($4::uuid[]))";
    const std::string storeFilter = "($4::uuid[] = '{}' OR l.id = ANY($4::uuid[]))";
    const auto rollupSelect = [&](std::string_view key, std::string_view table,
                                  std::string_view from, const std::string& dateFilter) {
        return "SELECT " + std::string(key) + columns +
               ", s.callbacks_due, s.callbacks_in_target FROM " + std::string(table) +
               std::string(from) + " WHERE s.organisation_id = $1::uuid AND " + dateFilter +
               " AND " + rollupFilter;
    };
    std::string rollups;
    if (s.profileKey.empty()) {
        rollups = rollupSelect(s.key, s.table, rollupFrom, std::string(s.dateFilter));
    } else {
        // By time of day, the period's whole months (from the first first-of-a-month on or after
        // `from` to the first of the month after `to`; none in a period without one) come from
        // the profile, the days before and after them from the hourly rollup: each part a range
        // of its table's index.
        const std::string first =
            "(date_trunc('month', ($2::date - 1)::timestamp) + interval '1 month')";
        const std::string after = "date_trunc('month', ($3::date + 1)::timestamp)";
        const std::string end = "($3::date + 1)::timestamp";
        rollups = rollupSelect(s.key, s.table, rollupFrom,
                               "s.local_hour >= $2::date AND s.local_hour < least(" + first + ", " +
                                   end + ")") +
                  " UNION ALL " +
                  rollupSelect(s.key, s.table, rollupFrom,
                               "s.local_hour >= greatest(" + after + ", least(" + first + ", " +
                                   end + ")) AND s.local_hour < " + end) +
                  " UNION ALL " +
                  rollupSelect(s.profileKey, "call_stats_hour_profile", rollupFrom,
                               "s.local_month >= " + first + " AND s.local_month < " + after);
    }
    // Callback tasks still open and not yet due are not late: they leave the period's "due".
    return "WITH src (k, " +
           [&] {
               std::string names;
               for (const auto& [name, member] : kColumns) {
                   names += std::string(name) + ", ";
               }
               return names;
           }() +
           "callbacks_due, callbacks_in_target) AS (" + rollups + " UNION ALL SELECT " +
           std::string(s.taskKey) + zeros +
           ", -1, 0 FROM tasks t JOIN locations l ON l.id = t.location_id, LATERAL (SELECT "
           "t.due_at AT TIME ZONE analytics_zone(l.timezone) AS local) z WHERE t.organisation_id = "
           "$1::uuid AND "
           "t.kind = 'callback' AND t.status = 'open' AND t.due_at > now() AND local::date "
           "BETWEEN $2::date AND $3::date AND " +
           storeFilter + (by == Grouping::Person ? " AND t.assigned_to IS NOT NULL" : "") +
           "), g AS (SELECT k" + sums +
           ", sum(callbacks_due)::bigint AS due, sum(callbacks_in_target)::bigint AS in_target "
           "FROM src GROUP BY k) SELECT " +
           keyOut + out + ", g.due, g.in_target, " + std::string(s.label) + " FROM g " +
           std::string(s.join) + " ORDER BY " + std::string(s.order);
}

// Occupancy's parts per group, people grouped by their home store: the handle time of the calls
// they took and their staffed time, with the staffed periods still going on counted up to now.
std::string occupancySql(Grouping by)
{
    std::string key;
    switch (by) {
    case Grouping::Organisation:
        key = "u.organisation_id::text";
        break;
    case Grouping::Region:
        key = "coalesce(l.region_id::text, '')";
        break;
    case Grouping::Store:
        key = "l.id::text";
        break;
    case Grouping::Person:
        key = "u.id::text";
        break;
    default:
        return {};
    }
    const std::string storeFilter = "($4::uuid[] = '{}' OR l.id = ANY($4::uuid[]))";
    return "WITH src (k, handle, staffed) AS (SELECT " + key +
           ", a.talk_ms + a.wrap_ms, a.staffed_ms FROM agent_stats_daily a JOIN users u ON u.id "
           "= a.user_id JOIN locations l ON l.id = coalesce(u.home_location_id, a.location_id) "
           "WHERE a.organisation_id = $1::uuid AND a.local_date BETWEEN $2::date AND $3::date "
           "AND " +
           storeFilter + " UNION ALL SELECT " + key +
           ", 0, sync_ms(now()) - sync_ms(greatest(p.staffed_since, $2::date::timestamp AT TIME "
           "ZONE analytics_zone(l.timezone))) FROM presence p JOIN users u ON u.id = p.user_id "
           "JOIN locations l "
           "ON l.id = u.home_location_id WHERE p.organisation_id = $1::uuid AND p.staffed_since "
           "IS NOT NULL AND (now() AT TIME ZONE analytics_zone(l.timezone))::date BETWEEN $2::date "
           "AND $3::date "
           "AND " +
           storeFilter +
           ") SELECT k, sum(handle)::bigint, sum(staffed)::bigint FROM src GROUP BY k";
}

std::optional<double> occupancyOf(const ReportRow& r)
{
    if (r.staffedMs <= 0) {
        return std::nullopt;
    }
    return static_cast<double>(r.peopleHandleMs) / static_cast<double>(r.staffedMs);
}

std::string formatRatio(const std::optional<double>& v)
{
    if (!v) {
        return {};
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4f", *v);
    return buf;
}

json::value jsonRatio(const std::optional<double>& v)
{
    return v ? json::value(*v) : json::value(nullptr);
}

std::optional<double> callbackRate(const ReportRow& r)
{
    if (r.callbacksDue <= 0) {
        return std::nullopt;
    }
    return static_cast<double>(r.callbacksInTarget) / static_cast<double>(r.callbacksDue);
}

json::object rowToJson(const ReportRow& r)
{
    json::object o{{"key", r.key}, {"label", r.label}};
    for (const auto& [name, member] : kColumns) {
        o[name] = r.counters.*member;
    }
    o["callbacks_due"] = r.callbacksDue;
    o["callbacks_in_target"] = r.callbacksInTarget;
    const auto f = cc::analytics::figuresOf(r.counters);
    o["service_level"] = jsonRatio(f.serviceLevel);
    o["abandon_rate"] = jsonRatio(f.abandonRate);
    o["asa_s"] = jsonRatio(f.asaSeconds);
    o["aht_s"] = jsonRatio(f.ahtSeconds);
    o["fcr_rate"] = jsonRatio(f.fcrRate);
    o["callback_rate"] = jsonRatio(callbackRate(r));
    o["staffed_ms"] = r.staffedMs;
    o["people_handle_ms"] = r.peopleHandleMs;
    o["occupancy"] = jsonRatio(occupancyOf(r));
    return o;
}

std::string csvField(std::string_view s)
{
    std::string v(s);
    // A cell starting like a formula is text, not something a spreadsheet runs.
    if (!v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@' || v[0] == '\t' ||
                       v[0] == '\r')) {
        v.insert(v.begin(), '\'');
    }
    if (v.find_first_of(",\"\r\n") == std::string::npos) {
        return v;
    }
    std::string out = "\"";
    for (const char c : v) {
        out += c;
        if (c == '"') {
            out += '"';
        }
    }
    return out + "\"";
}

} // namespace

std::string_view toString(Grouping grouping)
{
    switch (grouping) {
    case Grouping::Organisation:
        return "organisation";
    case Grouping::Region:
        return "region";
    case Grouping::Store:
        return "store";
    case Grouping::Person:
        return "person";
    case Grouping::Day:
        return "day";
    case Grouping::Hour:
        return "hour";
    case Grouping::WeekdayHour:
        return "weekday_hour";
    }
    return "store";
}

Result<ReportQuery, std::string> parseReportQuery(std::string_view query)
{
    auto params = telephony::parseFormUrlEncoded(query);
    if (!params) {
        return "the query string is not valid: " + params.error();
    }
    ReportQuery q;
    bool haveBy = false;
    for (const auto& [name, value] : params.value()) {
        if (name == "from") {
            q.from = value;
        } else if (name == "to") {
            q.to = value;
        } else if (name == "by") {
            const auto g = groupingFromString(value);
            if (!g) {
                return std::string("by must be one of organisation, region, store, person, day, "
                                   "hour, weekday_hour");
            }
            q.by = *g;
            haveBy = true;
        } else if (name == "location") {
            std::size_t start = 0;
            while (start <= value.size()) {
                const std::size_t comma = std::min(value.find(',', start), value.size());
                const std::string id = value.substr(start, comma - start);
                if (!cc::sync::isUuid(id)) {
                    return std::string("location must be store ids separated by commas");
                }
                q.locations.push_back(id);
                if (q.locations.size() > kMaxLocations) {
                    return "at most " + std::to_string(kMaxLocations) + " stores";
                }
                start = comma + 1;
            }
        } else if (name == "format") {
            if (value != "csv" && value != "json") {
                return std::string("format must be json or csv");
            }
            q.csv = value == "csv";
        } else {
            return "unknown parameter \"" + name.substr(0, 40) + "\"";
        }
    }
    const auto from = parseDate(q.from);
    const auto to = parseDate(q.to);
    if (!from || !to) {
        return std::string("from and to are required dates (YYYY-MM-DD)");
    }
    if (*from > *to) {
        return std::string("from is after to");
    }
    if (*to - *from + 1 > kMaxReportDays) {
        return "at most " + std::to_string(kMaxReportDays) + " days at a time";
    }
    if (!haveBy) {
        q.by = Grouping::Store;
    }
    std::sort(q.locations.begin(), q.locations.end());
    q.locations.erase(std::unique(q.locations.begin(), q.locations.end()), q.locations.end());
    return q;
}

cc::analytics::Settings readSettings(pqxx::connection& conn, const std::string& organisationId)
{
    pqxx::read_transaction tx(conn);
    const pqxx::row r =
        tx.exec_params1("SELECT (s).service_level_s, (s).short_abandon_s, (s).repeat_window_hours "
                        "FROM (SELECT analytics_settings_of($1::uuid) AS s) x",
                        organisationId);
    return {r[0].as<int>(), r[1].as<int>(), r[2].as<int>()};
}

Result<Report, ReportRefusal> runReport(pqxx::connection& conn, const std::string& organisationId,
                                        const std::string& userId, domain::Role role,
                                        const ReportQuery& query)
{
    Report report;
    report.query = query;
    pqxx::read_transaction tx(conn);
    std::vector<std::string> stores = query.locations;
    if (role == domain::Role::Manager || role == domain::Role::Staff) {
        std::set<std::string> theirs;
        for (const auto& row : tx.exec_params(
                 // Their stores as the sync scope has them: user_locations and home.
                 "SELECT l.id::text FROM locations l WHERE l.organisation_id = $2::uuid AND (l.id "
                 "IN (SELECT location_id FROM user_locations WHERE user_id = $1::uuid) OR l.id = "
                 "(SELECT home_location_id FROM users WHERE id = $1::uuid))",
                 userId, organisationId)) {
            theirs.insert(row[0].as<std::string>());
        }
        if (stores.empty()) {
            stores.assign(theirs.begin(), theirs.end());
            if (stores.empty()) {
                return ReportRefusal::NoStores;
            }
        }
        for (const auto& s : stores) {
            if (theirs.count(s) == 0) {
                return ReportRefusal::UnknownStore;
            }
        }
    } else if (!stores.empty()) {
        const auto known = tx.exec_params1("SELECT count(*) FROM locations WHERE organisation_id "
                                           "= $1::uuid AND id = ANY($2::uuid[])",
                                           organisationId, arrayLiteral(stores))[0]
                               .as<std::size_t>();
        if (known != stores.size()) {
            return ReportRefusal::UnknownStore;
        }
    }
    report.serviceLevelSeconds =
        tx.exec_params1("SELECT (analytics_settings_of($1::uuid)).service_level_s",
                        organisationId)[0]
            .as<int>();
    const pqxx::result rows = tx.exec_params(reportSql(query.by), organisationId, query.from,
                                             query.to, arrayLiteral(stores));
    for (const auto& row : rows) {
        ReportRow r;
        r.key = row[0].as<std::string>();
        std::size_t i = 1;
        for (const auto& [name, member] : kColumns) {
            r.counters.*member = row[static_cast<int>(i++)].as<std::int64_t>(0);
        }
        r.callbacksDue = row[static_cast<int>(i++)].as<std::int64_t>(0);
        r.callbacksInTarget = row[static_cast<int>(i++)].as<std::int64_t>(0);
        r.label = row[static_cast<int>(i)].as<std::string>(r.key);
        report.totals.counters += r.counters;
        report.totals.callbacksDue += r.callbacksDue;
        report.totals.callbacksInTarget += r.callbacksInTarget;
        report.rows.push_back(std::move(r));
    }
    if (const std::string sql = occupancySql(query.by); !sql.empty()) {
        std::map<std::string, std::size_t> index;
        for (std::size_t i = 0; i < report.rows.size(); ++i) {
            index.emplace(report.rows[i].key, i);
        }
        for (const auto& row :
             tx.exec_params(sql, organisationId, query.from, query.to, arrayLiteral(stores))) {
            const std::int64_t handle = row[1].as<std::int64_t>(0);
            const std::int64_t staffed = row[2].as<std::int64_t>(0);
            report.totals.peopleHandleMs += handle;
            report.totals.staffedMs += staffed;
            if (auto it = index.find(row[0].as<std::string>()); it != index.end()) {
                report.rows[it->second].peopleHandleMs += handle;
                report.rows[it->second].staffedMs += staffed;
            }
        }
    }
    report.totals.key = "total";
    report.totals.label = "Total";
    report.generatedAtMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    return report;
}

json::object reportToJson(const Report& report)
{
    json::array rows;
    for (const auto& r : report.rows) {
        rows.emplace_back(rowToJson(r));
    }
    return {{"from", report.query.from},
            {"to", report.query.to},
            {"by", toString(report.query.by)},
            {"serviceLevelSeconds", report.serviceLevelSeconds},
            {"generatedAtMs", report.generatedAtMs},
            {"rows", std::move(rows)},
            {"totals", rowToJson(report.totals)}};
}

std::string reportToCsv(const Report& report)
{
    std::string out = "key,label";
    for (const auto& [name, member] : kColumns) {
        out += "," + std::string(name);
    }
    out += ",callbacks_due,callbacks_in_target,service_level,abandon_rate,asa_s,aht_s,fcr_rate,"
           "callback_rate,occupancy\r\n";
    auto line = [&out](const ReportRow& r) {
        out += csvField(r.key) + "," + csvField(r.label);
        for (const auto& [name, member] : kColumns) {
            out += "," + std::to_string(r.counters.*member);
        }
        out += "," + std::to_string(r.callbacksDue) + "," + std::to_string(r.callbacksInTarget);
        const auto f = cc::analytics::figuresOf(r.counters);
        for (const auto& v : {f.serviceLevel, f.abandonRate, f.asaSeconds, f.ahtSeconds, f.fcrRate,
                              callbackRate(r), occupancyOf(r)}) {
            out += "," + formatRatio(v);
        }
        out += "\r\n";
    };
    for (const auto& r : report.rows) {
        line(r);
    }
    line(report.totals);
    return out;
}

} // namespace cc::server::analytics
