#include "app/sync/synctransport.h"

#include "app/net/serverconnection.h"

namespace cc::app {

DirectTransport::DirectTransport(ServerConnection* connection, QObject* parent)
    : SyncTransport(parent)
    , m_connection(connection)
{
    connect(m_connection, &ServerConnection::stateChanged, this, [this] {
        const bool connected = m_connection->state() == ServerConnection::State::Connected;
        if (connected != m_connected) {
            m_connected = connected;
            Q_EMIT connectedChanged(connected);
        }
    });
    connect(m_connection, &ServerConnection::messageReceived, this,
            &SyncTransport::messageReceived);
    m_connected = m_connection->state() == ServerConnection::State::Connected;
}

bool DirectTransport::isConnected() const
{
    return m_connected;
}

bool DirectTransport::send(const protocol::Envelope& envelope)
{
    return m_connection->send(envelope);
}

void DirectTransport::reconnect()
{
    m_connection->disconnectFromServer();
    m_connection->connectToServer();
}

TransportRelay::TransportRelay(ServerConnection* connection)
    : QObject(connection) // goes with the connection at the latest
    , m_connection(connection)
{
    static const int registered = [] {
        qRegisterMetaType<cc::protocol::Envelope>("cc::protocol::Envelope");
        return 0;
    }();
    Q_UNUSED(registered);
    connect(connection, &ServerConnection::stateChanged, this, [this] {
        Q_EMIT connectedChanged(m_connection->state() == ServerConnection::State::Connected);
    });
    connect(connection, &ServerConnection::messageReceived, this, &TransportRelay::messageReceived);
}

void TransportRelay::send(const protocol::Envelope& envelope)
{
    if (m_active) {
        m_connection->send(envelope);
    }
}

void TransportRelay::announce()
{
    Q_EMIT connectedChanged(m_connection->state() == ServerConnection::State::Connected);
}

void TransportRelay::reconnect()
{
    if (!m_active) {
        return;
    }
    m_connection->disconnectFromServer();
    m_connection->connectToServer();
}

QueuedTransport::QueuedTransport(TransportRelay* relay, bool connected)
    : m_relay(relay)
    , m_connected(connected)
{
    // Both directions queue: the relay and this object live on different threads.
    connect(relay, &TransportRelay::connectedChanged, this, [this](bool now) {
        if (now != m_connected) {
            m_connected = now;
            Q_EMIT connectedChanged(now);
        }
    });
    connect(relay, &TransportRelay::messageReceived, this, &SyncTransport::messageReceived);
    // The connection may have changed state between `connected` being read on the GUI thread
    // and these connections being made here: have the relay say where it stands now.
    QMetaObject::invokeMethod(
        relay, [relay] { relay->announce(); }, Qt::QueuedConnection);
}

QueuedTransport::~QueuedTransport()
{
    QMetaObject::invokeMethod(m_relay, &QObject::deleteLater, Qt::QueuedConnection);
}

bool QueuedTransport::send(const protocol::Envelope& envelope)
{
    if (!m_connected) {
        return false;
    }
    QMetaObject::invokeMethod(
        m_relay, [relay = m_relay, envelope] { relay->send(envelope); }, Qt::QueuedConnection);
    return true;
}

void QueuedTransport::reconnect()
{
    QMetaObject::invokeMethod(
        m_relay, [relay = m_relay] { relay->reconnect(); }, Qt::QueuedConnection);
}

} // namespace cc::app
