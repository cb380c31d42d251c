#pragma once

#include "shared/protocol/messages.h"

#include <QObject>

namespace cc::app {
class ServerConnection;

// How the sync client reaches the server: a welcomed connection it can send on, and the messages
// that arrive on it. Behind this small interface so the client runs beside its connection (tests,
// the load client) or on a worker thread while the connection stays on the GUI thread (the app).
class SyncTransport : public QObject {
    Q_OBJECT

public:
    using QObject::QObject;

    virtual bool isConnected() const = 0;
    // Sends on the current connection. False when it is known not to be connected; a message sent
    // just as the connection drops is lost like anything else in flight (the client re-sends
    // after the next welcome).
    virtual bool send(const protocol::Envelope& envelope) = 0;
    // Drops the current connection and opens a new one (after the client could not store what
    // the server sent).
    virtual void reconnect() = 0;

Q_SIGNALS:
    void connectedChanged(bool connected);
    void messageReceived(const cc::protocol::Envelope& envelope);
};

// The connection lives in the same thread as the client.
class DirectTransport : public SyncTransport {
    Q_OBJECT

public:
    explicit DirectTransport(ServerConnection* connection, QObject* parent = nullptr);
    bool isConnected() const override;
    bool send(const protocol::Envelope& envelope) override;
    void reconnect() override;

private:
    ServerConnection* m_connection;
    bool m_connected = false;
};

// Lives with the connection (GUI thread) and hands its traffic across threads by signals.
class TransportRelay : public QObject {
    Q_OBJECT

public:
    explicit TransportRelay(ServerConnection* connection);
    void send(const cc::protocol::Envelope& envelope);
    void reconnect();
    // Emits connectedChanged with the current state (for a listener that just arrived).
    void announce();
    // From now on sends nothing more (its person signed out: nothing of theirs may go out on
    // the next person's connection). GUI thread.
    void deactivate() { m_active = false; }

Q_SIGNALS:
    void connectedChanged(bool connected);
    void messageReceived(const cc::protocol::Envelope& envelope);

private:
    ServerConnection* m_connection;
    bool m_active = true;
};

// The client lives on a worker thread, the connection on the GUI thread: messages and state cross
// over by queued signals, in order. Made on the worker thread; the relay is made beside the
// connection and deleted there.
class QueuedTransport : public SyncTransport {
    Q_OBJECT

public:
    explicit QueuedTransport(TransportRelay* relay, bool connected);
    ~QueuedTransport() override;
    bool isConnected() const override { return m_connected; }
    bool send(const protocol::Envelope& envelope) override;
    void reconnect() override;

private:
    TransportRelay* m_relay;
    bool m_connected;
};

} // namespace cc::app
