#pragma once

#include "app/cache/cryptvfs.h"
#include "shared/protocol/messages.h"
#include "shared/sync/hlc.h"
#include "shared/sync/schema.h"
#include "shared/sync/value.h"
#include "shared/util/result.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

struct sqlite3;

// The device's offline cache: one SQLite file holding every synced row the device may see, the
// outbox of local writes not yet confirmed by the server, the server's state of the rows those
// writes touch (so a refused write can be rolled back and a server change rebased under a local
// edit), the server's version of every synced row and of every such state (kept out of sight: it
// is not a field), the entries the stream acknowledged before their push_result came (so its
// conflicts are still recorded), the sync cursor and the conflicts to show to people. The
// server's state is final; the cache converges to it (docs/sync-protocol.md).
//
// Not thread-safe: one owner (the sync client's worker thread) calls it.
namespace cc::app::cache {

// Shown to the user so nobody's work vanishes silently.
struct Conflict {
    std::int64_t id = 0;
    std::string kind; // "rejected" (the server refused the write; it was rolled back) or
                      // "overridden" (a newer write from elsewhere kept these fields)
    std::string entity;
    std::string key;
    std::string mutationId;
    std::string reason;
    std::vector<std::string> fields; // overridden fields, or the fields of the rejected write
    std::int64_t atMs = 0;
};

// One local write of LocalStore::writeAll.
struct WriteRequest {
    std::string entity;
    sync::Op op = sync::Op::Insert;
    std::string key;
    sync::Fields fields;
};

// What one page of changes did.
struct ApplyOutcome {
    std::vector<std::string> entities; // entities touched (for live models), in schema order
    std::size_t rows = 0;              // rows applied
    std::size_t acknowledged = 0;      // outbox entries acknowledged by the stream (they
                                       // leave the outbox and wait for their push_result)
};

class LocalStore {
public:
    // path: a file, or ":memory:". deviceId: this installation's id (the HLC node),
    // [A-Za-z0-9_.:-]{1,64}. Creates or migrates the file; refuses one written by a newer build.
    // With a key (the app always gives one; tests and tools may not), the file is encrypted at
    // rest (cryptvfs.h): a cache written before encryption is encrypted in place first, with every
    // unsent write in it; a wrong key opens nothing and changes nothing.
    static Result<std::unique_ptr<LocalStore>, std::string>
    open(const std::string& path, const std::string& deviceId,
         const std::optional<CacheKey>& key = std::nullopt);
    ~LocalStore();
    LocalStore(const LocalStore&) = delete;
    LocalStore& operator=(const LocalStore&) = delete;

    std::int64_t cursor() const;
    const std::string& scopeKey() const;
    const std::string& deviceId() const;

    // One page of the server's rows, in one transaction: acknowledges outbox entries the rows
    // carry (with the earlier entries of their rows: they move to the acknowledged entries, which
    // no longer count as pending nor take part in rebases), rebases rows with pending local
    // writes, writes the others as they are. Refuses the whole page (changing nothing) when a
    // value has the wrong type for its field.
    Result<ApplyOutcome, std::string> applyChanges(const protocol::Changes& changes);

    // A local write, validated as the server validates it; updates and deletes need the row to
    // exist locally. The row and its outbox entry are written in one transaction; a refused
    // write changes nothing. Returns the new mutation id (a random lower-case UUID v4).
    // (The error is a sync::Refused: cc::Result cannot hold the same type twice.)
    Result<std::string, sync::Refused> write(std::string_view entity, sync::Op op,
                                             std::string_view key, const sync::Fields& fields,
                                             std::int64_t nowMs);

    // Several local writes in one transaction, in this order (their outbox entries follow one
    // another): all of them or, when one is refused, none. Returns their mutation ids in order.
    Result<std::vector<std::string>, sync::Refused>
    writeAll(const std::vector<WriteRequest>& writes, std::int64_t nowMs);

    // What to push, oldest first: the outbox, then the acknowledged entries whose answer has
    // not come (the server answers a known id with its first decision and does not apply it
    // again): at most maxCount entries, about maxBytes encoded (always at least one when any is
    // waiting and maxCount > 0). Acknowledged entries unanswered for 30 days are dropped on open.
    std::vector<protocol::Mutation> pending(std::size_t maxCount, std::size_t maxBytes) const;
    // The outbox only (the "pending writes" people see).
    std::size_t pendingCount() const;
    // The server's answer to a push, in one transaction: applied entries leave the outbox,
    // rejected ones leave it and are rolled back locally; both may record a conflict. An applied
    // entry's fields (but the overridden ones) are folded into the server's state this device
    // holds only when that state is older than the answer's version; otherwise it already holds
    // the write or something newer, and the row shows it (with the remaining pending writes on
    // top) as it is. The answer for an entry the stream acknowledged records its conflict
    // (overridden fields, or a rejection, which needs no rollback: the stream's row is the
    // server's) and forgets it.
    void applyPushResult(const protocol::PushResult& result, std::int64_t nowMs);

    std::vector<Conflict> conflicts() const; // oldest first
    std::size_t conflictCount() const;
    bool dismissConflict(std::int64_t id);

    // All fields of the entity in schema order, with the stored values (Bool as bool,
    // Timestamp/Int as int64, Real as double, null as Null).
    std::optional<sync::Fields> row(std::string_view entity, std::string_view key) const;
    // key -> fields, ordered by key.
    std::vector<std::pair<std::string, sync::Fields>> rows(std::string_view entity) const;
    // The rows whose `field` holds one of `values` (key -> fields, ordered by key): what a screen
    // looks up by (the calls still ringing, a caller's number, one customer's history) without
    // reading the whole table. Empty for an unknown entity or field.
    std::vector<std::pair<std::string, sync::Fields>>
    rowsWhere(std::string_view entity, std::string_view field,
              const std::vector<sync::Value>& values) const;
    std::size_t rowCount(std::string_view entity) const;

    sync::Hlc lastHlc() const;
    // Takes in a stamp seen from the server (HlcClock::receive, at most 5 minutes ahead of
    // nowMs); ignores one it cannot parse.
    void observeHlc(std::string_view encoded, std::int64_t nowMs);

    // For tests and benchmarks that inspect the file.
    sqlite3* handle();

private:
    struct Impl;
    explicit LocalStore(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_d;
};

} // namespace cc::app::cache
