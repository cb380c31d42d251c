#include "callcommander/version.h"
#include "server/db/database.h"
#include "server/net/sessions.h"
#include "server/ops/config.h"
#include "server/ops/log.h"
#include "server/ops/metrics.h"
#include "shared/protocol/envelope.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <pqxx/pqxx>

namespace cc::server::net {
namespace {

std::int64_t nowMs()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

} // namespace

WsSession::WsSession(NodeContext& ctx, TlsStream&& stream, ConnectionSlot&& slot, std::string peer)
    : m_ctx(ctx)
    , m_ws(std::move(stream))
    , m_helloTimer(m_ws.get_executor())
    , m_closeTimer(m_ws.get_executor())
    , m_expiryTimer(m_ws.get_executor())
    , m_syncRetry(m_ws.get_executor())
    , m_protocol(ClientProtocol::Identity{ctx.node, kVersion}, nowMs, ctx.signer)
    , m_peer(std::move(peer))
    , m_slot(std::move(slot))
{}

WsSession::~WsSession()
{
    m_ctx.sessions.remove(this);
    if (m_device) {
        m_device->closed = true;
        m_ctx.devices.remove(m_device.get());
        // While stopping, the node's own row goes (and its sessions with it) before the database
        // workers stop; after that no job may be submitted.
        if (!m_ctx.stopping) {
            m_ctx.database.submit(
                [device = m_device](pqxx::connection& conn) {
                    const std::lock_guard lock(device->mutex);
                    if (device->rowId.empty()) {
                        return; // never written
                    }
                    pqxx::work tx(conn);
                    tx.exec_params("DELETE FROM device_sessions WHERE id = $1::uuid",
                                   device->rowId);
                    tx.commit();
                },
                [](const std::string& reason) {
                    log::warn("ws", "device session not removed (the node sweep will): " + reason);
                });
        }
    }
    if (m_registered && m_ctx.syncHub != nullptr) {
        m_ctx.syncHub->remove(m_scope->organisationId, this);
    }
    if (m_ctx.liveAnalytics != nullptr) {
        m_ctx.liveAnalytics->unsubscribe(this);
    }
}

void WsSession::run(Request&& upgrade)
{
    m_ctx.sessions.add(shared_from_this());
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = m_ctx.config.handshakeTimeout;
    timeouts.idle_timeout = m_ctx.config.idleTimeout;
    timeouts.keep_alive_pings = true; // a ping at half the idle time finds dead peers
    m_ws.set_option(timeouts);
    m_ws.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
        res.set(http::field::server, std::string("callcommander-server/") + kVersion);
    }));
    m_ws.read_message_max(m_ctx.config.wsMaxMessageBytes);
    m_ws.async_accept(upgrade, beast::bind_front_handler(&WsSession::onAccept, shared_from_this()));
}

void WsSession::onAccept(error_code ec)
{
    if (ec) {
        log::debug("ws", m_peer + ": upgrade failed: " + ec.message());
        return;
    }
    log::debug("ws", m_peer + ": connected");
    m_accepted = true;
    if (m_ctx.stopping && !m_pendingClose) {
        // Shutdown began after the registry was walked: this session missed the broadcast.
        closeWith({websocket::close_code::going_away, "server shutting down"});
    }
    if (m_pendingClose) {
        doClose(); // shutdown began during the upgrade
        return;
    }
    // A client has the handshake timeout to say hello; silence after that is not a client.
    m_helloTimer.expires_after(m_ctx.config.handshakeTimeout);
    m_helloTimer.async_wait([weak = weak_from_this()](error_code timerEc) {
        auto self = weak.lock();
        if (timerEc || !self || self->m_protocol.greeted() || self->m_closing) {
            return;
        }
        self->apply(ProtocolOutcome{
            {protocol::encode(protocol::makeError(protocol::ErrorCode::ProtocolViolation,
                                                  "no hello received in time"))},
            protocol::kClosePolicy,
            "no hello received in time",
            std::nullopt,
            std::nullopt,
            std::nullopt});
    });
    doRead();
}

void WsSession::shutdown()
{
    asio::post(m_ws.get_executor(), [self = shared_from_this()] {
        self->closeWith({websocket::close_code::going_away, "server shutting down"});
    });
}

void WsSession::onSessionRevoked(const std::string& sessionId)
{
    asio::post(m_ws.get_executor(), [self = shared_from_this(), sessionId] {
        const auto& principal = self->m_protocol.principal();
        if (self->m_closing || !principal || principal->sessionId != sessionId) {
            return;
        }
        log::info("ws", self->m_peer + ": sign-in revoked; closing");
        self->apply(
            ProtocolOutcome{{protocol::encode(protocol::makeError(
                                protocol::ErrorCode::Unauthenticated, "this sign-in has ended"))},
                            protocol::kCloseUnauthenticated,
                            "this sign-in has ended",
                            std::nullopt,
                            std::nullopt,
                            std::nullopt});
    });
}

void WsSession::send(std::shared_ptr<const std::string> message)
{
    asio::post(m_ws.get_executor(), [self = shared_from_this(), message = std::move(message)] {
        self->enqueue(message);
    });
}

void WsSession::doRead()
{
    m_ws.async_read(m_buffer, beast::bind_front_handler(&WsSession::onRead, shared_from_this()));
}

void WsSession::onRead(error_code ec, std::size_t /*bytes*/)
{
    if (ec) {
        m_helloTimer.cancel();
        m_closeTimer.cancel();
        m_expiryTimer.cancel();
        m_syncRetry.cancel();
        if (ec == websocket::error::message_too_big) {
            // Beast has already sent close 1009 (message too big) to the client.
            log::warn("ws", m_peer + ": closed: message over " +
                                std::to_string(m_ctx.config.wsMaxMessageBytes) + " bytes");
        } else if (ec != websocket::error::closed && ec != asio::error::operation_aborted) {
            log::debug("ws", m_peer + ": read ended: " + ec.message());
        }
        return;
    }
    if (m_closing) {
        return;
    }
    ops::metrics().wsMessagesIn.add();
    ProtocolOutcome outcome;
    if (m_ws.got_text()) {
        const auto data = m_buffer.cdata();
        outcome =
            m_protocol.onText(std::string_view(static_cast<const char*>(data.data()), data.size()));
    } else {
        outcome = m_protocol.onBinary();
    }
    m_buffer.consume(m_buffer.size());
    if (m_protocol.protocolVersion()) {
        // Hello arrived. The session check that follows is bounded by the database's statement
        // timeout, not by the hello timer.
        m_helloTimer.cancel();
    }
    const bool closing = outcome.closeCode.has_value();
    apply(std::move(outcome));
    if (!closing) {
        doRead();
    }
}

void WsSession::checkSession(const auth::Claims& claims)
{
    // Revocation lives in the database (sign-out, disabled user, password change): ask it, off
    // the network thread, and continue on this connection's strand.
    auto resume = [weak = weak_from_this(), executor = m_ws.get_executor(),
                   sessionId = claims.sessionId](std::optional<bool> live) {
        asio::dispatch(executor, [weak, live, sessionId]() mutable {
            auto self = weak.lock();
            if (!self || self->m_closing) {
                return;
            }
            if (live.value_or(false) && self->m_ctx.revocations.contains(sessionId)) {
                live = false; // revoked (NOTIFY) while we were asking
            }
            self->apply(live ? self->m_protocol.completeSessionCheck(*live)
                             : self->m_protocol.sessionCheckUnavailable());
            if (live.value_or(false)) {
                self->onPrincipalChanged(); // welcomed, or re-authenticated
            }
        });
    };
    m_ctx.database.submit(
        [resume, claims](pqxx::connection& conn) { resume(auth::sessionLive(conn, claims)); },
        [resume](const std::string& reason) {
            log::warn("ws", "session check failed: " + reason);
            resume(std::nullopt);
        });
}

void WsSession::onPrincipalChanged()
{
    const auto& principal = m_protocol.principal();
    if (!principal) {
        return;
    }
    m_helloTimer.cancel();
    if (!m_device) {
        // Online from now on: routing rings this person (when available) while a device is.
        m_device = std::make_shared<DeviceRegistration>();
        m_device->userId = principal->userId;
        m_device->organisationId = principal->organisationId;
        m_ctx.devices.add(m_device);
        m_ctx.database.submit(
            [device = m_device, node = m_ctx.node, incarnation = m_ctx.incarnation](
                pqxx::connection& conn) { registerDevice(conn, node, incarnation, *device); },
            [](const std::string& reason) {
                log::warn("ws", "device session not recorded yet (the heartbeat retries): " +
                                    reason.substr(0, reason.find('\n')));
            });
    }
    // The connection lives as long as its access token; a reauth with a fresh one extends it.
    const auto now = std::chrono::system_clock::now();
    const auto expiry =
        std::chrono::system_clock::time_point(std::chrono::seconds(principal->expiresAt));
    m_expiryTimer.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::max(expiry - now, std::chrono::system_clock::duration::zero())));
    m_expiryTimer.async_wait([weak = weak_from_this()](error_code ec) {
        auto self = weak.lock();
        if (ec || !self || self->m_closing) {
            return;
        }
        self->apply(
            ProtocolOutcome{{protocol::encode(protocol::makeError(
                                protocol::ErrorCode::Unauthenticated, "access token expired"))},
                            protocol::kCloseUnauthenticated,
                            "access token expired",
                            std::nullopt,
                            std::nullopt,
                            std::nullopt});
    });
}

void WsSession::apply(ProtocolOutcome&& outcome)
{
    if (outcome.closeCode) {
        log::info("ws", m_peer + ": closing (" + std::to_string(*outcome.closeCode) +
                            "): " + outcome.closeReason);
    }
    if (outcome.checkSession) {
        checkSession(*outcome.checkSession);
    }
    for (auto& reply : outcome.replies) {
        enqueue(std::make_shared<const std::string>(std::move(reply)));
    }
    if (outcome.sync) {
        handleSync(std::move(*outcome.sync));
    }
    if (outcome.analytics) {
        watchAnalytics(outcome.analytics->first, outcome.analytics->second);
    }
    if (outcome.closeCode) {
        closeWith({static_cast<websocket::close_code>(*outcome.closeCode), outcome.closeReason});
    }
}

void WsSession::enqueue(std::shared_ptr<const std::string> message)
{
    if (m_closing || m_pendingClose) {
        return;
    }
    if (m_queuedBytes + message->size() > m_ctx.config.wsMaxQueueBytes) {
        // A client that does not read cannot read a close frame either: drop the connection.
        // The write in flight (if any) still owns the queue's front; onWrite clears the rest.
        log::warn("ws", m_peer + ": dropped: client reads too slowly (" +
                            std::to_string(m_queuedBytes) + " bytes queued)");
        abort();
        return;
    }
    m_queuedBytes += message->size();
    m_queue.push_back(std::move(message));
    if (!m_writing) {
        doWrite();
    }
}

void WsSession::doWrite()
{
    m_writing = true;
    m_ws.text(true);
    m_ws.async_write(asio::buffer(*m_queue.front()),
                     beast::bind_front_handler(&WsSession::onWrite, shared_from_this()));
}

void WsSession::onWrite(error_code ec, std::size_t /*bytes*/)
{
    m_writing = false;
    if (ec) {
        log::debug("ws", m_peer + ": write failed: " + ec.message());
        m_queue.clear();
        m_queuedBytes = 0;
        return;
    }
    ops::metrics().wsMessagesOut.add();
    m_queuedBytes -= m_queue.front()->size();
    m_queue.pop_front();
    if (!m_queue.empty()) {
        doWrite();
    } else if (m_pendingClose) {
        doClose();
    }
}

void WsSession::closeWith(websocket::close_reason reason)
{
    if (m_closing || m_pendingClose) {
        return;
    }
    m_pendingClose = std::move(reason);
    // The closing handshake must not wait forever behind a write the peer never reads.
    m_closeTimer.expires_after(m_ctx.config.handshakeTimeout);
    m_closeTimer.async_wait([weak = weak_from_this()](error_code ec) {
        if (auto self = weak.lock(); self && !ec) {
            log::debug("ws", self->m_peer + ": dropped: closing handshake timed out");
            self->abort();
        }
    });
    if (m_accepted && !m_writing) {
        doClose(); // otherwise after the queued replies are written
    }
}

void WsSession::abort()
{
    m_closing = true;
    m_helloTimer.cancel();
    m_expiryTimer.cancel();
    m_closeTimer.cancel();
    auto& lowest = beast::get_lowest_layer(m_ws);
    error_code ignored;
    lowest.socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest.close(); // pending reads and writes complete with operation_aborted
}

void WsSession::doClose()
{
    if (m_closing || !m_ws.is_open()) {
        return;
    }
    m_closing = true;
    m_helloTimer.cancel();
    m_expiryTimer.cancel();
    m_ws.async_close(*m_pendingClose, [self = shared_from_this()](error_code ec) {
        self->m_closeTimer.cancel();
        if (ec && ec != asio::error::operation_aborted) {
            log::debug("ws", self->m_peer + ": close failed: " + ec.message());
        }
    });
}

} // namespace cc::server::net
