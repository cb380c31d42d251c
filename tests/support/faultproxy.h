#pragma once

#include <QString>
#include <QTcpServer>

#include <functional>
#include <memory>
#include <vector>

namespace cc::test {

// A TCP proxy of the tests' own, between a client and a server, for breaking connections where a
// test wants: all at once, or after exactly n more bytes from the server (in the middle of a
// frame). It forwards raw bytes, so TLS passes through untouched and the client still verifies
// the server's certificate.
//
// It runs on the event loop of the thread that made it (SyncDevice::waitFor spins it); nothing is
// forwarded while that loop does not run. Each direction of a connection holds at most
// kMaxBuffered bytes; beyond that the proxy stops reading and TCP's flow control holds the sender
// back. Not thread-safe.
class FaultProxy {
public:
    static constexpr qint64 kMaxBuffered = 256 * 1024;

    FaultProxy();
    ~FaultProxy();
    FaultProxy(const FaultProxy&) = delete;
    FaultProxy& operator=(const FaultProxy&) = delete;

    // Listens on 127.0.0.1, on a free port; false if it cannot.
    bool listen();
    quint16 port() const;
    QString wsUrl() const; // wss://127.0.0.1:<port>/ws
    // Where new connections go, on 127.0.0.1 (a restarted server has a new port). Open connections
    // stay with the server they have.
    void setUpstream(quint16 port);

    // Aborts every open connection, both sides, now.
    void cutAllNow();
    // Arms a cut: the next n bytes from server to client (on the connection that carries them: an
    // open one, else the next) are forwarded, then that connection is aborted on both sides. One
    // cut at a time; arming again replaces a cut that has not fired. `observer`, if any, is called
    // when the cut fires, before the connection is aborted (the client has not seen the cut yet).
    void cutAfterBytes(qint64 n, std::function<void()> observer = {});
    void cancelCut();
    bool cutArmed() const { return m_cutRemaining >= 0; }
    int cutsFired() const { return m_cutsFired; }

    // Stops forwarding in one direction, on every connection, until released (the bytes wait in
    // the proxy's and the kernel's buffers). A connection that closes while held loses them.
    void holdServerToClient(bool hold);
    void holdClientToServer(bool hold);

    int connectionCount() const { return m_accepted; } // accepted so far
    int openConnections() const { return static_cast<int>(m_links.size()); }
    qint64 bytesToClient() const { return m_bytesToClient; } // forwarded server -> client
    qint64 bytesToServer() const { return m_bytesToServer; } // forwarded client -> server

private:
    struct Link;
    void accept();
    void pump(const std::shared_ptr<Link>& link, bool toClient);
    void onClosed(const std::shared_ptr<Link>& link, bool serverSide);
    void fireCut(const std::shared_ptr<Link>& link);
    void finish(const std::shared_ptr<Link>& link, bool abort);
    void pumpAll(bool toClient);

    QTcpServer m_server;
    quint16 m_upstream = 0;
    std::vector<std::shared_ptr<Link>> m_links;
    qint64 m_cutRemaining = -1; // -1: no cut armed
    std::function<void()> m_cutObserver;
    int m_cutsFired = 0;
    bool m_holdToClient = false;
    bool m_holdToServer = false;
    int m_accepted = 0;
    qint64 m_bytesToClient = 0;
    qint64 m_bytesToServer = 0;
};

} // namespace cc::test
