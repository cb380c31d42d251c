#pragma once

#include "shared/analytics/measures.h"
#include "shared/sync/schema.h"
#include "shared/sync/value.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

// The messages app and server exchange over the WebSocket, as plain structs. The wire format
// (JSON envelopes) lives in envelope.h; docs/protocol.md describes it for people.
namespace cc::protocol {

// Protocol versions this build speaks. A peer advertises its range in `hello`; the server
// answers with the highest version both sides know, or `unsupported_version`.
inline constexpr int kMinProtocolVersion = 1;
inline constexpr int kMaxProtocolVersion = 1;
// A client that applies tombstones keyed "<first key part>/*" (docs/sync-protocol.md §4). One
// that does not say so is sent a fresh download instead, when such a tombstone is due to it.
inline constexpr const char* kFeatureWildcardTombstones = "wildcard-tombstones";

// Bounds on what a peer may send us (validated on decode).
inline constexpr std::size_t kMaxIdLength = 64;
inline constexpr std::size_t kMaxNameLength = 128;
inline constexpr std::size_t kMaxFeatures = 16; // names in hello.features
inline constexpr std::size_t kMaxMessageLength = 1024;
inline constexpr std::size_t kMaxTokenLength = 4096;
inline constexpr std::size_t kMaxKeyLength = 200; // a synced row's key
inline constexpr std::size_t kMaxFieldsPerRow = 64;
// One field's text on the wire. The schema bounds what devices write; rows written elsewhere
// (imports, SQL) are bounded by the database in characters, up to 4 bytes each in UTF-8.
inline constexpr std::size_t kMaxValueLength = 64 * 1024;
inline constexpr std::size_t kMaxMutationsPerPush = 1000;
inline constexpr std::size_t kMaxRowsPerChanges = 10000;

// WebSocket close codes (RFC 6455 section 7.4 plus the private 4000-4999 range).
inline constexpr std::uint16_t kCloseNormal = 1000;
inline constexpr std::uint16_t kCloseGoingAway = 1001;     // server shutting down
inline constexpr std::uint16_t kCloseMalformed = 1007;     // not JSON / not our envelope
inline constexpr std::uint16_t kClosePolicy = 1008;        // protocol rules broken
inline constexpr std::uint16_t kCloseTooBig = 1009;        // frame over the size limit
inline constexpr std::uint16_t kCloseTryAgainLater = 1013; // overloaded or not ready
inline constexpr std::uint16_t kCloseUnsupportedVersion = 4001;
inline constexpr std::uint16_t kCloseUnauthenticated = 4003; // no, bad, expired or revoked token

enum class ErrorCode {
    MalformedMessage,   // not JSON, or JSON that is not a valid envelope
    UnsupportedVersion, // no protocol version in common
    UnknownType,        // a message type this version does not know
    ProtocolViolation,  // e.g. anything before hello, or a second hello
    MessageTooLarge,
    NotReady,        // the server cannot serve yet (database down, migrating)
    Unauthenticated, // the access token is missing, invalid, expired or its session revoked
    InvalidCursor,   // a sync cursor this server never issued (ahead of every version)
    Forbidden,       // the signed-in person may not do this
    Overloaded,      // the server is saturated: retry later, more slowly
    Internal,
};

std::string_view toString(ErrorCode code);
std::optional<ErrorCode> errorCodeFromString(std::string_view name);

struct VersionRange {
    int min = kMinProtocolVersion;
    int max = kMaxProtocolVersion;
    friend bool operator==(const VersionRange&, const VersionRange&) = default;
};

// The highest version both ranges contain, if any.
std::optional<int> negotiate(VersionRange ours, VersionRange theirs);

// client -> server, first message on every connection.
struct Hello {
    VersionRange protocol;
    std::string client;        // product name, e.g. "callcommander"
    std::string clientVersion; // e.g. "0.1.0"
    std::string deviceId;      // stable per installation
    std::string token;         // access token from POST /v1/auth/login or /v1/auth/refresh
    // What this client understands beyond its protocol version (at most kMaxFeatures, each at most
    // kMaxNameLength characters; unknown ones are ignored): kFeatureWildcardTombstones.
    std::vector<std::string> features;
    friend bool operator==(const Hello&, const Hello&) = default;
};

// client -> server: a fresh access token for the same sign-in, before the current one expires,
// so a long-lived connection stays open.
struct Reauth {
    std::string token;
    friend bool operator==(const Reauth&, const Reauth&) = default;
};

// server -> client, the answer to a hello that was accepted.
struct Welcome {
    int protocol = kMaxProtocolVersion; // the version both sides now speak
    std::string server;                 // "callcommander-server"
    std::string serverVersion;
    std::string node;              // which server node answered (several run behind a LB)
    std::int64_t serverTimeMs = 0; // Unix epoch milliseconds, for clock-skew display
    std::string userId;            // who the server took the token to be
    std::string role;
    friend bool operator==(const Welcome&, const Welcome&) = default;
};

// either direction: something went wrong. `supported` is set with UnsupportedVersion.
struct Error {
    ErrorCode code = ErrorCode::Internal;
    std::string message;
    std::optional<VersionRange> supported;
    friend bool operator==(const Error&, const Error&) = default;
};

// ---- Sync (docs/sync-protocol.md) ----

// client -> server: start (or resume) receiving this device's scopes after `cursor` (0: nothing
// held yet). `scopeKey` is the one the server gave with the rows the device holds; when the
// device's scopes changed since (new store, new role, new schema) the server starts over with a
// snapshot (`reset`).
struct Subscribe {
    std::int64_t cursor = 0;
    std::string scopeKey;
    friend bool operator==(const Subscribe&, const Subscribe&) = default;
};

// One row as it is now: its whole state, or a tombstone.
struct SyncRow {
    std::string entity;
    std::string key;
    std::int64_t version = 0;
    bool deleted = false;
    sync::Fields fields;    // every field of the row; empty for a tombstone
    std::string mutationId; // the device mutation that wrote this version, if one did
    std::string hlc;        // the newest field stamp of the row
    friend bool operator==(const SyncRow&, const SyncRow&) = default;
};

// A tombstone keyed "<first key part>/*": it stands for every row of its entity whose key starts
// with its own but the "*" (docs/sync-protocol.md §4, kFeatureWildcardTombstones).
inline bool isWildcardTombstone(const SyncRow& row)
{
    return row.deleted && row.key.size() > 2 && row.key.ends_with("/*");
}

// server -> client: the rows of the device's scopes whose version is in [from, to], in version
// order. After it the device holds everything up to `to` (its new cursor). While catching up
// (`complete` false) the device asks for the next page with `pull`; once complete, new changes
// follow as they commit.
struct Changes {
    std::int64_t from = 0;
    std::int64_t to = 0;
    bool reset = false;         // first page of a snapshot: drop every synced row first
    bool complete = false;      // caught up: no more pages, live changes follow
    std::int64_t remaining = 0; // rows still to come in this catch-up (estimate, for progress)
    std::string scopeKey;
    std::vector<SyncRow> rows;
    friend bool operator==(const Changes&, const Changes&) = default;
};

// client -> server: the page up to `cursor` is applied; send the next.
struct Pull {
    std::int64_t cursor = 0;
    friend bool operator==(const Pull&, const Pull&) = default;
};

// One local write, as the device made it.
struct Mutation {
    std::string id; // UUID chosen by the device; the server applies each id at most once
    std::string entity;
    std::string key;
    sync::Op op = sync::Op::Update;
    sync::Fields fields;
    std::string hlc; // when the device made it (hybrid logical clock)
    friend bool operator==(const Mutation&, const Mutation&) = default;
};

// client -> server: writes from the device's outbox, oldest first.
struct Push {
    std::vector<Mutation> mutations;
    friend bool operator==(const Push&, const Push&) = default;
};

enum class MutationStatus { Applied, Rejected };

struct MutationResult {
    std::string id;
    MutationStatus status = MutationStatus::Applied;
    std::int64_t version = 0;            // the row's version after it (applied)
    std::string reason;                  // why not (rejected), for a person
    std::vector<std::string> overridden; // fields a newer write from elsewhere kept (applied)
    friend bool operator==(const MutationResult&, const MutationResult&) = default;
};

// server -> client: the answer to a push (same envelope id), in the push's order, after commit.
struct PushResult {
    std::vector<MutationResult> results;
    std::string hlc; // the server's clock, so the device's next stamps order after it
    friend bool operator==(const PushResult&, const PushResult&) = default;
};

// ---- Live analytics (docs/analytics.md) ----

inline constexpr std::size_t kMaxAnalyticsLocations = 1000;
inline constexpr std::size_t kMaxAnalyticsPeople = 1000;

// client -> server: send live "today so far" figures for these stores (empty: every store the
// signed-in person may see, and for executives and admins the organisation's totals too).
// Replaces any earlier subscription of the connection; `stop` ends it.
struct AnalyticsSubscribe {
    std::vector<std::string> locations;
    bool stop = false;
    friend bool operator==(const AnalyticsSubscribe&, const AnalyticsSubscribe&) = default;
};

struct PersonCounters {
    std::string userId;
    analytics::Counters counters;
    friend bool operator==(const PersonCounters&, const PersonCounters&) = default;
};

// server -> client: one store's day so far (or the organisation's: every store's own today),
// sent on subscribing and then within a moment of every call change that alters it.
struct AnalyticsUpdate {
    std::string scope;        // "location" or "organisation"
    std::string key;          // the store's or the organisation's id
    std::string date;         // the store's local date, YYYY-MM-DD (empty for the organisation)
    std::int64_t asOfMs = 0;  // when the figures were taken (server clock)
    std::int64_t eventMs = 0; // when the newest call change in them reached this server
    int serviceLevelSeconds = 20;
    analytics::Counters totals;
    std::vector<analytics::Counters> hours; // 24 entries, by local hour (stores only)
    std::vector<PersonCounters> people;     // who answered today (stores only)
    int waiting = 0;                        // callers waiting right now
    std::int64_t oldestWaitingMs = 0;       // when the longest wait began (0: nobody waits)
    friend bool operator==(const AnalyticsUpdate&, const AnalyticsUpdate&) = default;
};

using Body = std::variant<Hello, Welcome, Error, Reauth, Subscribe, Changes, Pull, Push, PushResult,
                          AnalyticsSubscribe, AnalyticsUpdate>;

struct Envelope {
    int version = kMaxProtocolVersion; // "v": the protocol version this message is written in
    std::string id;                    // correlation id chosen by the sender; may be empty
    Body body;
    friend bool operator==(const Envelope&, const Envelope&) = default;
};

// The wire name of a body's type ("hello", "welcome", "error", "reauth", "subscribe", ...).
std::string_view typeName(const Body& body);

} // namespace cc::protocol
