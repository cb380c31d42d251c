#include "tests/support/faultproxy.h"

#include <QHostAddress>
#include <QTcpSocket>

#include <algorithm>
#include <utility>

namespace cc::test {

// One proxied connection: the accepted client socket and ours to the server. Both are deleted
// (later) by finish(); the sockets' handlers hold only weak references to the link.
struct FaultProxy::Link {
    QTcpSocket* client = nullptr;
    QTcpSocket* server = nullptr;
    bool upstreamUp = false; // connected to the server; client bytes wait until then
    bool cutting = false;    // the cut's last bytes are written; abort once they are out
    bool done = false;
};

FaultProxy::FaultProxy()
{
    QObject::connect(&m_server, &QTcpServer::newConnection, &m_server, [this] { accept(); });
}

FaultProxy::~FaultProxy()
{
    cutAllNow();
    m_server.close();
}

bool FaultProxy::listen()
{
    return m_server.listen(QHostAddress::LocalHost, 0);
}

quint16 FaultProxy::port() const
{
    return m_server.serverPort();
}

QString FaultProxy::wsUrl() const
{
    return QStringLiteral("wss://127.0.0.1:%1/ws").arg(port());
}

void FaultProxy::setUpstream(quint16 port)
{
    m_upstream = port;
}

void FaultProxy::cutAllNow()
{
    const auto links = m_links;
    for (const auto& link : links) {
        finish(link, true);
    }
}

void FaultProxy::cutAfterBytes(qint64 n, std::function<void()> observer)
{
    m_cutRemaining = std::max<qint64>(n, 0);
    m_cutObserver = std::move(observer);
    pumpAll(true); // a cut of 0 bytes fires on whatever is waiting
}

void FaultProxy::cancelCut()
{
    m_cutRemaining = -1;
    m_cutObserver = {};
}

void FaultProxy::holdServerToClient(bool hold)
{
    m_holdToClient = hold;
    if (!hold) {
        pumpAll(true);
    }
}

void FaultProxy::holdClientToServer(bool hold)
{
    m_holdToServer = hold;
    if (!hold) {
        pumpAll(false);
    }
}

void FaultProxy::pumpAll(bool toClient)
{
    const auto links = m_links;
    for (const auto& link : links) {
        pump(link, toClient);
    }
}

void FaultProxy::accept()
{
    while (QTcpSocket* client = m_server.nextPendingConnection()) {
        auto link = std::make_shared<Link>();
        link->client = client;
        link->server = new QTcpSocket(&m_server);
        // Qt reads no more than this from the kernel until the proxy takes it: flow control.
        client->setReadBufferSize(kMaxBuffered);
        link->server->setReadBufferSize(kMaxBuffered);
        ++m_accepted;
        m_links.push_back(link);
        const std::weak_ptr<Link> weak = link;
        const auto on = [weak](auto&& action) {
            return [weak, action] {
                if (auto l = weak.lock(); l && !l->done) {
                    action(l);
                }
            };
        };
        QObject::connect(client, &QTcpSocket::readyRead, client,
                         on([this](const auto& l) { pump(l, false); }));
        QObject::connect(link->server, &QTcpSocket::readyRead, link->server,
                         on([this](const auto& l) { pump(l, true); }));
        QObject::connect(client, &QTcpSocket::bytesWritten, client, on([this](const auto& l) {
                             if (l->cutting) {
                                 if (l->client->bytesToWrite() == 0) {
                                     finish(l, true);
                                 }
                             } else {
                                 pump(l, true);
                             }
                         }));
        QObject::connect(link->server, &QTcpSocket::bytesWritten, link->server,
                         on([this](const auto& l) { pump(l, false); }));
        QObject::connect(link->server, &QTcpSocket::connected, link->server,
                         on([this](const auto& l) {
                             l->upstreamUp = true;
                             pump(l, false);
                         }));
        QObject::connect(client, &QTcpSocket::disconnected, client,
                         on([this](const auto& l) { onClosed(l, false); }));
        QObject::connect(link->server, &QTcpSocket::disconnected, link->server,
                         on([this](const auto& l) { onClosed(l, true); }));
        QObject::connect(link->server, &QTcpSocket::errorOccurred, link->server,
                         on([this](const auto& l) {
                             if (!l->upstreamUp) {
                                 finish(l, true); // refused: the client sees its connection drop
                             }
                         }));
        link->server->connectToHost(QHostAddress::LocalHost, m_upstream);
    }
}

void FaultProxy::pump(const std::shared_ptr<Link>& link, bool toClient)
{
    if (link->done || link->cutting || !link->upstreamUp ||
        (toClient ? m_holdToClient : m_holdToServer)) {
        return;
    }
    QTcpSocket* from = toClient ? link->server : link->client;
    QTcpSocket* to = toClient ? link->client : link->server;
    while (from->bytesAvailable() > 0) {
        const qint64 room = kMaxBuffered - to->bytesToWrite();
        if (room <= 0) {
            return; // continued when `to` has written some (bytesWritten)
        }
        const bool counting = toClient && m_cutRemaining >= 0;
        qint64 chunk = std::min(room, from->bytesAvailable());
        if (counting) {
            chunk = std::min(chunk, m_cutRemaining);
        }
        if (chunk > 0) {
            const QByteArray data = from->read(chunk);
            to->write(data);
            (toClient ? m_bytesToClient : m_bytesToServer) += data.size();
            if (counting) {
                m_cutRemaining -= data.size();
            }
            if (link->done) {
                return; // the write failed and closed the link
            }
        }
        if (counting && m_cutRemaining == 0) {
            fireCut(link);
            return;
        }
    }
}

void FaultProxy::fireCut(const std::shared_ptr<Link>& link)
{
    m_cutRemaining = -1;
    ++m_cutsFired;
    if (auto observer = std::exchange(m_cutObserver, {})) {
        observer();
    }
    link->cutting = true;
    // Whatever the client sent and we have not forwarded is dropped: reading it now keeps the
    // kernel from resetting the connection (and dropping the bytes still to deliver) on close.
    link->client->readAll();
    link->client->flush();
    if (link->client->bytesToWrite() == 0) {
        finish(link, true);
    } // else finished by the client's bytesWritten once the last bytes are out
}

void FaultProxy::onClosed(const std::shared_ptr<Link>& link, bool serverSide)
{
    // Forward what the closing side sent before it closed, then close the other side (during a
    // cut, the connection is going anyway).
    pump(link, serverSide);
    finish(link, link->cutting);
}

void FaultProxy::finish(const std::shared_ptr<Link>& link, bool abort)
{
    if (link->done) {
        return;
    }
    link->done = true;
    for (QTcpSocket* socket : {link->client, link->server}) {
        QObject::disconnect(socket, nullptr, nullptr, nullptr);
        if (abort || socket->state() != QAbstractSocket::ConnectedState) {
            socket->abort();
            socket->deleteLater();
        } else {
            // Lets what is written go out first, then closes.
            QObject::connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            socket->disconnectFromHost();
            if (socket->state() == QAbstractSocket::UnconnectedState) {
                socket->deleteLater();
            }
        }
    }
    m_links.erase(std::remove(m_links.begin(), m_links.end(), link), m_links.end());
}

} // namespace cc::test
