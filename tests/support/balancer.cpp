#include "tests/support/balancer.h"

#include <QElapsedTimer>
#include <QFile>
#include <QHostAddress>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>

namespace cc::test {
namespace {

constexpr const char* kNginx = "/usr/sbin/nginx";

quint16 freePort()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort();
}

} // namespace

QString Balancer::start(const QString& dir, const TlsFiles& tls, const std::vector<quint16>& nodes,
                        int maxConnections)
{
    // The free port is found by binding and letting go: another process may take it before
    // nginx binds it. Then nginx exits at once, and another port is tried.
    QString failure;
    for (int attempt = 0; attempt < 3; ++attempt) {
        failure = startOnce(dir, tls, nodes, maxConnections);
        if (failure.isEmpty() || m_process.state() == QProcess::Running) {
            return failure;
        }
    }
    return failure;
}

QString Balancer::startOnce(const QString& dir, const TlsFiles& tls,
                            const std::vector<quint16>& nodes, int maxConnections)
{
    m_port = freePort();
    QString upstream;
    for (quint16 p : nodes) {
        upstream +=
            QStringLiteral("        server 127.0.0.1:%1 max_fails=1 fail_timeout=60s;\n").arg(p);
    }
    const QString conf =
        QStringLiteral("daemon off;\n"
                       "master_process off;\n"
                       "worker_processes 1;\n"
                       "pid %1/nginx.pid;\n"
                       "error_log %1/error.log info;\n"
                       "worker_rlimit_nofile %7;\n"
                       "events { worker_connections %8; }\n"
                       "http {\n"
                       "    access_log %1/access.log;\n"
                       "    client_body_temp_path %1/body;\n"
                       "    proxy_temp_path %1/proxy;\n"
                       "    fastcgi_temp_path %1/fastcgi;\n"
                       "    uwsgi_temp_path %1/uwsgi;\n"
                       "    scgi_temp_path %1/scgi;\n"
                       "    map $http_upgrade $connection_upgrade { default upgrade; '' close; }\n"
                       "    upstream callcommander {\n%2    }\n"
                       "    server {\n"
                       "        listen 127.0.0.1:%3 ssl;\n"
                       "        ssl_certificate %4;\n"
                       "        ssl_certificate_key %5;\n"
                       "        location / {\n"
                       "            proxy_pass https://callcommander;\n"
                       "            proxy_http_version 1.1;\n"
                       "            proxy_set_header Host $host;\n"
                       "            proxy_set_header Upgrade $http_upgrade;\n"
                       "            proxy_set_header Connection $connection_upgrade;\n"
                       "            proxy_set_header X-Forwarded-For $remote_addr;\n"
                       "            proxy_set_header X-Request-Id $request_id;\n"
                       "            proxy_read_timeout 1h;\n"
                       "            proxy_send_timeout 1h;\n"
                       "            proxy_connect_timeout 2s;\n"
                       "            proxy_next_upstream error timeout;\n"
                       "            proxy_ssl_verify on;\n"
                       "            proxy_ssl_trusted_certificate %6;\n"
                       "            proxy_ssl_name localhost;\n"
                       "            proxy_ssl_server_name on;\n"
                       "        }\n"
                       "    }\n"
                       "}\n")
            .arg(dir, upstream, QString::number(m_port), tls.certFile, tls.keyFile, tls.caFile,
                 QString::number(maxConnections + 64), QString::number(maxConnections));
    QFile file(dir + QStringLiteral("/nginx.conf"));
    if (!file.open(QIODevice::WriteOnly) || file.write(conf.toUtf8()) != conf.toUtf8().size()) {
        return QStringLiteral("cannot write nginx.conf");
    }
    file.close();
    m_dir = dir;
    m_process.setProcessChannelMode(QProcess::MergedChannels);
    m_process.start(QString::fromLatin1(kNginx),
                    {QStringLiteral("-p"), dir, QStringLiteral("-e"),
                     dir + QStringLiteral("/error.log"), QStringLiteral("-c"),
                     dir + QStringLiteral("/nginx.conf")});
    if (!m_process.waitForStarted(5000)) {
        return QStringLiteral("nginx did not start (%1): install nginx-light")
            .arg(m_process.errorString());
    }
    QElapsedTimer waited;
    waited.start();
    bool up = false;
    while (!up && waited.elapsed() < 10000 && m_process.state() == QProcess::Running) {
        QTcpSocket s;
        s.connectToHost(QHostAddress::LocalHost, m_port);
        up = s.waitForConnected(200);
        if (!up) {
            QThread::msleep(50);
        }
    }
    return up ? QString() : QStringLiteral("nginx is not listening: ") + log();
}

void Balancer::stop()
{
    if (m_process.state() != QProcess::NotRunning) {
        m_process.terminate();
        if (!m_process.waitForFinished(5000)) {
            m_process.kill();
            m_process.waitForFinished(2000);
        }
    }
}

QString Balancer::log()
{
    QFile f(m_dir + QStringLiteral("/error.log"));
    return QString::fromUtf8(m_process.readAll()) +
           (f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString());
}

} // namespace cc::test
