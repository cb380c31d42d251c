#pragma once

#include "server/sync/scope.h"
#include "shared/protocol/messages.h"
#include "shared/sync/hlc.h"

#include <pqxx/connection>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

// The server's side of sync against PostgreSQL: reading what a scope may see after a cursor, and
// applying devices' writes exactly once. Plain functions on a connection, run on the database
// pool's threads. See docs/sync-protocol.md.
namespace cc::server::sync {

// A sync_log row with its audience, as the fan-out reads it for every scope at once.
struct LogRow {
    protocol::SyncRow row;
    std::optional<std::vector<std::string>> audience; // nullopt: the whole organisation
};

struct Page {
    std::vector<protocol::SyncRow> rows;
    std::int64_t to = 0;        // the reader holds everything of its scope up to here
    bool complete = false;      // nothing more after `to` (at the time of reading)
    std::int64_t remaining = 0; // rows of the scope after `to` (counted only when asked)
    bool expired = false;       // tombstones after `after` were purged: the reader starts over
};

struct CursorCheck {
    std::int64_t current = 0;      // the organisation's newest version
    std::int64_t purgedBefore = 0; // tombstones up to here are gone
};

CursorCheck checkCursor(pqxx::connection& conn, const std::string& organisationId);

// Whether a wildcard tombstone (protocol::isWildcardTombstone) was numbered after `after`: a
// client that does not understand them downloads its scopes again instead.
bool wildcardAfter(pqxx::connection& conn, const std::string& organisationId, std::int64_t after);

// Runs the sequencer for one organisation (its own transaction): committed changes get their
// versions. Returns how many were numbered.
std::int64_t sequence(pqxx::connection& conn, const std::string& organisationId);

// Rows of `scope` with version > after, oldest first, at most `limit` (one snapshot).
Page readPage(pqxx::connection& conn, const SyncScope& scope, std::int64_t after, std::size_t limit,
              bool countRemaining);

// Every row of the organisation with version > after (for the fan-out), oldest first.
struct Batch {
    std::string organisationId;
    std::int64_t from = 0; // after + 1
    std::int64_t to = 0;   // everything of the organisation up to here is in `rows`
    std::vector<LogRow> rows;
    bool truncated = false; // more rows were waiting than one batch holds
};

// What one page or batch carries at most, in rows' stored bytes (at least one row).
inline constexpr std::size_t kMaxPageBytes = 1024 * 1024;
inline constexpr std::size_t kRowOverheadBytes = 160; // key, version, stamps, JSON framing
Batch readBatch(pqxx::connection& conn, const std::string& organisationId, std::int64_t after,
                std::size_t limit);

// Applies a device's push in one transaction: each mutation validated, authorised, merged
// (per-field last-writer-wins by hybrid logical clock) and recorded by id, so a replay gets the
// first answer and changes nothing. A deadlock with another writer retries the transaction. After
// commit the organisation is sequenced, and each applied result carries its row's version.
// `clock` is the connection's server clock.
protocol::PushResult applyPush(pqxx::connection& conn, const SyncScope& scope,
                               const std::string& deviceId,
                               const std::vector<protocol::Mutation>& mutations,
                               cc::sync::HlcClock& clock, std::int64_t nowMs);

struct PurgeResult {
    std::int64_t tombstones = 0; // removed from sync_log
    std::int64_t mutations = 0;  // decisions forgotten (their ids could be replayed no more)
};

// Forgets tombstones and device mutation decisions older than `keepDays` (kept at least 100 days:
// a device may stay offline 90). A device whose cursor is older than a purged tombstone downloads
// its scopes again, keeping its unsent writes (sync_horizons.purged_before).
PurgeResult purge(pqxx::connection& conn, int keepDays);

// How far ahead of the server's clock a device's stamp may be before the server stamps the write
// itself (a tablet with a wrong clock must not win every conflict for months).
inline constexpr std::int64_t kMaxClockDriftMs = 5 * 60 * 1000;

} // namespace cc::server::sync
