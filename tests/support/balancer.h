#pragma once

#include "tests/support/serverprocess.h"

#include <QProcess>
#include <QString>

#include <vector>

namespace cc::test {

// Debian's nginx (/usr/sbin/nginx, package nginx-light) in the foreground, in a folder of its
// own, as docs/deployment.md lays it out: TLS for the clients, HTTP and WebSocket upgrades
// proxied to the nodes over TLS (verified against the test CA), X-Forwarded-For overwritten with
// the client's address, X-Request-Id set to nginx's own, the next node tried when one refuses.
class Balancer {
public:
    Balancer() = default;
    ~Balancer() { stop(); }
    Balancer(const Balancer&) = delete;
    Balancer& operator=(const Balancer&) = delete;

    // Empty on success, else what went wrong (with nginx's log). `maxConnections`: nginx's
    // worker_connections (each proxied client takes two).
    QString start(const QString& dir, const TlsFiles& tls, const std::vector<quint16>& nodes,
                  int maxConnections = 512);
    void stop();
    QString log();

    quint16 port() const { return m_port; }
    qint64 pid() const { return m_process.processId(); }
    QString baseUrl() const { return QStringLiteral("https://127.0.0.1:%1").arg(m_port); }
    QString wsUrl() const { return QStringLiteral("wss://127.0.0.1:%1/ws").arg(m_port); }

private:
    QString startOnce(const QString& dir, const TlsFiles& tls, const std::vector<quint16>& nodes,
                      int maxConnections);

    QProcess m_process;
    QString m_dir;
    quint16 m_port = 0;
};

} // namespace cc::test
