// The sync half of a WebSocket session (docs/sync-protocol.md): catch-up pages the client pulls
// one at a time, then live batches from the node's hub; pushes applied one at a time, in order.
// Every method runs on the session's strand; database work goes to the pool and comes back here.

#include "server/auth/admin_service.h"
#include "server/db/database.h"
#include "server/net/sessions.h"
#include "server/ops/log.h"
#include "server/ops/metrics.h"
#include "server/sync/sync_store.h"
#include "shared/protocol/envelope.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <pqxx/pqxx>

#include <set>

namespace cc::server::net {
namespace {

constexpr std::size_t kPageRows = 1000;
constexpr std::size_t kMaxQueuedPushes = 4;
constexpr std::size_t kMaxHeldBatches = 64;

std::int64_t nowMs()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

} // namespace

void WsSession::replyError(protocol::ErrorCode code, std::string message, const std::string& id)
{
    enqueue(std::make_shared<const std::string>(
        protocol::encode(protocol::makeError(code, std::move(message), id))));
}

void WsSession::closeDisabled(const std::string& id)
{
    apply(
        ProtocolOutcome{{protocol::encode(protocol::makeError(protocol::ErrorCode::Unauthenticated,
                                                              "this account is disabled", id))},
                        protocol::kCloseUnauthenticated,
                        "account disabled",
                        std::nullopt,
                        std::nullopt,
                        std::nullopt});
}

void WsSession::handleSync(SyncRequest&& request)
{
    if (auto* s = std::get_if<protocol::Subscribe>(&request.body)) {
        subscribe(request.id, *s);
    } else if (auto* p = std::get_if<protocol::Pull>(&request.body)) {
        pull(request.id, *p);
    } else if (auto* push = std::get_if<protocol::Push>(&request.body)) {
        this->push(request.id, std::move(*push));
    }
}

void WsSession::subscribe(const std::string& id, const protocol::Subscribe& request)
{
    if (m_syncMode != SyncMode::Idle) {
        replyError(protocol::ErrorCode::ProtocolViolation, "already subscribed on this connection",
                   id);
        return;
    }
    m_syncMode = SyncMode::Reading;
    struct Start {
        std::optional<sync::SyncScope> scope;
        std::optional<sync::Page> page;
        bool reset = false;
        std::int64_t current = 0;
    };
    auto resume = [weak = weak_from_this(), executor = m_ws.get_executor(), id,
                   cursor = request.cursor](std::optional<Start> start, std::string failure) {
        asio::dispatch(executor, [weak, start = std::move(start), failure = std::move(failure), id,
                                  cursor]() mutable {
            auto self = weak.lock();
            if (!self || self->m_closing) {
                return;
            }
            if (!start) {
                self->m_syncMode = SyncMode::Idle;
                self->replyError(protocol::ErrorCode::NotReady,
                                 "sync is unavailable right now; try again", id);
                return;
            }
            if (!start->scope) {
                self->closeDisabled(id);
                return;
            }
            if (!start->page) {
                self->m_syncMode = SyncMode::Idle;
                self->replyError(protocol::ErrorCode::InvalidCursor,
                                 "cursor " + std::to_string(cursor) +
                                     " is ahead of every change this server has made (newest: " +
                                     std::to_string(start->current) + ")",
                                 id);
                return;
            }
            if (start->page->expired) {
                self->m_syncMode = SyncMode::Idle;
                self->replyError(protocol::ErrorCode::InvalidCursor,
                                 "this server no longer holds changes that old; download again",
                                 id);
                return;
            }
            self->m_scope = std::move(start->scope);
            self->m_scopeVersion = start->current;
            self->m_cursor = start->reset ? 0 : cursor;
            self->m_remaining =
                start->page->remaining + static_cast<std::int64_t>(start->page->rows.size());
            self->sendPage(std::move(*start->page), start->reset);
        });
    };
    const std::string userId = m_protocol.principal()->userId;
    m_ctx.database.submit(
        [resume, userId, organisationId = m_protocol.principal()->organisationId, request,
         wildcards = understandsWildcards()](pqxx::connection& conn) {
            Start start;
            // Number what has committed (so the first page includes it), note how far that goes,
            // and only then read who the user is: a change of their access numbered after
            // `current` reaches this session as a row, and it reconnects.
            sync::sequence(conn, organisationId);
            const auto check = sync::checkCursor(conn, organisationId);
            start.current = check.current;
            start.scope = sync::loadScope(conn, userId);
            if (start.scope && start.scope->organisationId != organisationId) {
                start.scope.reset();
            }
            if (start.scope) {
                if (request.cursor <= check.current) {
                    // A device of another scope (new store, new role, new schema), a new device,
                    // or one whose cursor is older than the kept tombstones starts over.
                    start.reset = request.scopeKey != start.scope->key || request.cursor == 0 ||
                                  request.cursor < check.purgedBefore;
                    // A client that cannot apply a wildcard tombstone due to it downloads again
                    // instead (it keeps its unsent writes).
                    start.reset =
                        start.reset ||
                        (!wildcards && sync::wildcardAfter(conn, organisationId, request.cursor));
                    start.page = sync::readPage(conn, *start.scope,
                                                start.reset ? 0 : request.cursor, kPageRows, true);
                }
            }
            resume(std::move(start), {});
        },
        [resume](const std::string& reason) {
            log::warn("sync", "subscribe failed: " + reason);
            resume(std::nullopt, reason);
        });
}

void WsSession::pull(const std::string& id, const protocol::Pull& request)
{
    if (m_syncMode != SyncMode::AwaitingPull) {
        replyError(protocol::ErrorCode::ProtocolViolation, "nothing to pull: not catching up", id);
        return;
    }
    if (request.cursor != m_cursor) {
        replyError(protocol::ErrorCode::InvalidCursor,
                   "pull from " + std::to_string(request.cursor) + ", but the last page ended at " +
                       std::to_string(m_cursor),
                   id);
        return;
    }
    readNextPage(false, false);
}

void WsSession::readNextPage(bool countRemaining, bool serverInitiated)
{
    m_syncMode = SyncMode::Reading;
    auto resume = [weak = weak_from_this(), executor = m_ws.get_executor(), countRemaining,
                   serverInitiated](std::optional<sync::Page> page) {
        asio::dispatch(executor, [weak, page = std::move(page), countRemaining,
                                  serverInitiated]() mutable {
            auto self = weak.lock();
            if (!self || self->m_closing) {
                return;
            }
            if (!page && serverInitiated) {
                // The client believes it is live: read again shortly, on our own.
                self->m_syncRetry.expires_after(std::chrono::seconds(1));
                self->m_syncRetry.async_wait([weak](error_code ec) {
                    if (auto again = weak.lock(); again && !ec && !again->m_closing) {
                        again->readNextPage(false, true);
                    }
                });
                return;
            }
            if (!page) {
                // Go back to waiting for a pull of the same page: the client retries.
                self->m_syncMode = SyncMode::AwaitingPull;
                self->replyError(protocol::ErrorCode::NotReady,
                                 "sync is unavailable right now; pull again", {});
                return;
            }
            if (page->expired) {
                // The device starts over on a fresh connection (it keeps its unsent writes).
                self->m_syncMode = SyncMode::Idle;
                self->replyError(protocol::ErrorCode::InvalidCursor,
                                 "this server no longer holds changes that old; download again",
                                 {});
                return;
            }
            if (countRemaining) {
                self->m_remaining = page->remaining + static_cast<std::int64_t>(page->rows.size());
            }
            self->sendPage(std::move(*page), false);
        });
    };
    m_ctx.database.submit(
        [resume, scope = *m_scope, after = m_cursor, countRemaining](pqxx::connection& conn) {
            resume(sync::readPage(conn, scope, after, kPageRows, countRemaining));
        },
        [resume](const std::string& reason) {
            log::warn("sync", "catch-up read failed: " + reason);
            resume(std::nullopt);
        });
}

void WsSession::sendPage(sync::Page&& page, bool reset)
{
    protocol::Changes changes;
    changes.from = reset ? 1 : m_cursor + 1;
    changes.to = page.to;
    changes.reset = reset;
    changes.complete = page.complete;
    m_remaining =
        std::max<std::int64_t>(0, m_remaining - static_cast<std::int64_t>(page.rows.size()));
    changes.remaining = page.complete ? 0 : std::max<std::int64_t>(m_remaining, 1);
    changes.scopeKey = m_scope->key;
    if (changesOwnAccess(page.rows)) {
        // Rows after the change were chosen by the old scope: send none of them.
        closeForAccessChange();
        return;
    }
    if (!understandsWildcards()) {
        if (reset || m_snapshotting) {
            // A download starts from nothing: a wildcard tombstone has nothing to delete.
            std::erase_if(page.rows, protocol::isWildcardTombstone);
        } else if (std::any_of(page.rows.begin(), page.rows.end(), protocol::isWildcardTombstone)) {
            downloadAgain();
            return;
        }
    }
    m_snapshotting = (reset || m_snapshotting) && !page.complete;
    changes.rows = std::move(page.rows);
    m_cursor = page.to;
    enqueue(std::make_shared<const std::string>(protocol::encode(
        protocol::Envelope{protocol::kMaxProtocolVersion, {}, std::move(changes)})));
    if (page.complete) {
        goLive();
    } else {
        m_syncMode = SyncMode::AwaitingPull;
    }
}

bool WsSession::changesOwnAccess(const std::vector<protocol::SyncRow>& rows) const
{
    // This person's own role or stores changed after their scope was read.
    const std::string& user = m_scope->userId;
    return std::any_of(rows.begin(), rows.end(), [&](const protocol::SyncRow& row) {
        return row.version > m_scopeVersion &&
               ((row.entity == "users" && row.key == user) ||
                (row.entity == "user_locations" && row.key.rfind(user + "/", 0) == 0));
    });
}

void WsSession::closeForAccessChange()
{
    // What they may see changed with it: they come back on a fresh connection, and their
    // subscribe starts over under the new scope.
    apply(
        ProtocolOutcome{{protocol::encode(protocol::makeError(
                            protocol::ErrorCode::NotReady, "your access changed; reconnect", {}))},
                        protocol::kCloseTryAgainLater,
                        "access changed",
                        std::nullopt,
                        std::nullopt,
                        std::nullopt});
}

bool WsSession::understandsWildcards() const
{
    return m_protocol.understands(protocol::kFeatureWildcardTombstones);
}

void WsSession::downloadAgain()
{
    // A wildcard tombstone (an erasure) is due to a client too old to apply it: it downloads its
    // scopes again on a fresh connection, keeping its unsent writes, as after a purge.
    m_syncMode = SyncMode::Idle;
    replyError(protocol::ErrorCode::InvalidCursor,
               "this server no longer holds changes that old; download again", {});
}

void WsSession::goLive()
{
    m_syncMode = SyncMode::Live;
    bool behind = false;
    if (!m_registered && m_ctx.syncHub != nullptr) {
        m_registered = true;
        // This node may already have handed out batches past our cursor: read the rows between
        // now rather than at the organisation's next change.
        behind =
            m_ctx.syncHub->add(m_scope->organisationId, shared_from_this(), m_cursor) > m_cursor;
    }
    if (m_batchesOverflowed || behind) {
        // Too much arrived while catching up to hold, or the hub is ahead: read it instead.
        m_batchesOverflowed = false;
        m_heldBatches.clear();
        readNextPage(false, true);
        return;
    }
    while (!m_heldBatches.empty() && m_syncMode == SyncMode::Live) {
        auto batch = std::move(m_heldBatches.front());
        m_heldBatches.pop_front();
        onSyncBatch(batch);
    }
    m_heldBatches.clear();
}

void WsSession::deliver(std::shared_ptr<const sync::SharedBatch> batch)
{
    asio::post(m_ws.get_executor(),
               [self = shared_from_this(), batch = std::move(batch)] { self->onSyncBatch(batch); });
}

void WsSession::onSyncBatch(const std::shared_ptr<const sync::SharedBatch>& batch)
{
    if (m_closing || m_pendingClose || !m_scope) {
        return;
    }
    if (m_syncMode != SyncMode::Live) {
        // Catching up: the pages read may or may not include this batch's rows; keep it for
        // when the catch-up ends.
        if (m_heldBatches.size() < kMaxHeldBatches) {
            m_heldBatches.push_back(batch);
        } else {
            m_batchesOverflowed = true;
        }
        return;
    }
    const auto& b = batch->batch();
    if (b.to <= m_cursor) {
        return; // already sent by a catch-up page
    }
    if (b.from > m_cursor + 1) {
        readNextPage(false, true); // a gap (this node started handing out later): read it
        return;
    }
    std::vector<protocol::SyncRow> fresh;
    for (const auto& row : b.rows) {
        if (row.row.version > m_cursor) {
            fresh.push_back(row.row);
        }
    }
    if (changesOwnAccess(fresh)) {
        // Rows after the change were chosen by the old scope: send none of them.
        closeForAccessChange();
        return;
    }
    if (!understandsWildcards() &&
        std::any_of(fresh.begin(), fresh.end(), protocol::isWildcardTombstone)) {
        downloadAgain();
        return;
    }
    auto message = batch->messageFor(*m_scope, m_cursor);
    m_cursor = b.to;
    if (message) {
        enqueue(std::move(message));
    }
}

void WsSession::push(std::string id, protocol::Push&& request)
{
    if (m_pushing) {
        if (m_pushes.size() >= kMaxQueuedPushes) {
            replyError(protocol::ErrorCode::Overloaded,
                       "too many pushes in flight; wait for the answers", id);
            return;
        }
        m_pushes.emplace_back(std::move(id), std::move(request));
        return;
    }
    m_pushes.emplace_front(std::move(id), std::move(request));
    startPush();
}

void WsSession::startPush()
{
    if (m_pushing || m_pushes.empty()) {
        return;
    }
    m_pushing = true;
    auto [id, request] = std::move(m_pushes.front());
    m_pushes.pop_front();
    if (!m_clock) {
        // The node name becomes the clock's node id: only the characters a stamp may hold.
        std::string node = "server-" + m_ctx.node.substr(0, 40);
        for (char& c : node) {
            const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            (c >= '0' && c <= '9') || c == '_' || c == '.' || c == ':' || c == '-';
            c = ok ? c : '-';
        }
        m_clock = std::make_shared<cc::sync::HlcClock>(node);
    }
    auto resume = [weak = weak_from_this(), executor = m_ws.get_executor(),
                   id](std::optional<protocol::PushResult> result, bool disabled) {
        asio::dispatch(executor, [weak, result = std::move(result), id, disabled]() mutable {
            auto self = weak.lock();
            if (!self || self->m_closing) {
                return;
            }
            self->m_pushing = false;
            if (disabled) {
                self->closeDisabled(id);
                return;
            }
            if (!result) {
                // Nothing was committed: the device keeps the writes and sends them again.
                self->replyError(protocol::ErrorCode::Overloaded,
                                 "the writes could not be applied now; send them again", id);
            } else {
                for (const auto& r : result->results) {
                    (r.status == protocol::MutationStatus::Rejected ? ops::metrics().writesRejected
                                                                    : ops::metrics().writesApplied)
                        .add();
                }
                self->enqueue(std::make_shared<const std::string>(protocol::encode(
                    protocol::Envelope{protocol::kMaxProtocolVersion, id, std::move(*result)})));
            }
            self->startPush();
        });
    };
    m_ctx.database.submit(
        [resume, userId = m_protocol.principal()->userId,
         organisationId = m_protocol.principal()->organisationId, device = m_protocol.deviceId(),
         mutations = std::move(request.mutations), clock = m_clock](pqxx::connection& conn) {
            // The scope is read again for every push: a store or role change applies at once.
            const auto scope = sync::loadScope(conn, userId);
            if (!scope || scope->organisationId != organisationId) {
                resume(std::nullopt, true);
                return;
            }
            resume(sync::applyPush(conn, *scope, device, mutations, *clock, nowMs()), false);
        },
        [resume](const std::string& reason) {
            log::warn("sync", "push failed: " + reason);
            resume(std::nullopt, false);
        });
}

} // namespace cc::server::net

namespace cc::server::net {

void WsSession::sendAnalytics(std::shared_ptr<const std::string> message)
{
    send(std::move(message));
}

void WsSession::watchAnalytics(const std::string& id, const protocol::AnalyticsSubscribe& request)
{
    if (m_ctx.liveAnalytics == nullptr) {
        replyError(protocol::ErrorCode::NotReady, "live figures are not available", id);
        return;
    }
    if (request.stop) {
        m_ctx.liveAnalytics->unsubscribe(this);
        return;
    }
    // Which stores come from the database (role and stores as they are now), never from the
    // client: it may only narrow them down.
    auto reply = [weak = weak_from_this(), executor = m_ws.get_executor(),
                  id](protocol::ErrorCode code, std::string message) {
        asio::dispatch(executor, [weak, code, message = std::move(message), id] {
            if (auto self = weak.lock(); self && !self->m_closing) {
                self->replyError(code, message, id);
            }
        });
    };
    m_ctx.database.submit(
        [weak = weak_from_this(), reply, claims = *m_protocol.principal(), request,
         live = m_ctx.liveAnalytics](pqxx::connection& conn) {
            const auto role = auth::liveRole(conn, claims);
            if (!role || !auth::permits(*role, auth::Operation::WatchLiveAnalytics)) {
                reply(protocol::ErrorCode::Forbidden, "you may not watch live figures");
                return;
            }
            const bool wholeOrganisation =
                *role == domain::Role::Executive || *role == domain::Role::Admin;
            pqxx::read_transaction tx(conn);
            const pqxx::result rows =
                wholeOrganisation
                    ? tx.exec_params("SELECT id::text FROM locations WHERE organisation_id = "
                                     "$1::uuid ORDER BY id",
                                     claims.organisationId)
                    // Their stores as the sync scope has them: user_locations and home.
                    : tx.exec_params("SELECT l.id::text FROM locations l WHERE "
                                     "l.organisation_id = $2::uuid AND (l.id IN (SELECT "
                                     "location_id FROM user_locations WHERE user_id = $1::uuid) "
                                     "OR l.id = (SELECT home_location_id FROM users WHERE id = "
                                     "$1::uuid)) ORDER BY 1",
                                     claims.userId, claims.organisationId);
            std::set<std::string> allowed;
            for (const auto& r : rows) {
                allowed.insert(r[0].as<std::string>());
            }
            analytics::LiveSubscription what;
            what.organisationId = claims.organisationId;
            if (request.locations.empty()) {
                what.locations.assign(allowed.begin(), allowed.end());
                what.organisation = wholeOrganisation;
            } else {
                for (const auto& l : request.locations) {
                    if (allowed.count(l) == 0) {
                        reply(protocol::ErrorCode::Forbidden,
                              "a store you asked for is not one of yours");
                        return;
                    }
                }
                what.locations = request.locations;
            }
            if (auto self = weak.lock()) {
                live->subscribe(self, std::move(what));
            }
        },
        [reply](const std::string&) {
            reply(protocol::ErrorCode::NotReady,
                  "live figures are unavailable right now; try again");
        });
}

} // namespace cc::server::net
