#pragma once

#include <QByteArray>
#include <QMap>
#include <QProcess>
#include <QSslCertificate>
#include <QString>
#include <QTemporaryDir>

#include <memory>

namespace cc::test {

// A development CA and a server certificate for 127.0.0.1, made with the openssl tool.
struct TlsFiles {
    QString caFile;
    QString certFile;
    QString keyFile;
    QList<QSslCertificate> ca() const;
    static TlsFiles generate(const QString& dir); // throws on failure
};

struct HttpResult {
    int status = 0; // 0: no HTTP answer at all
    QByteArray body;
    QString error;
    QByteArray retryAfter;                // the Retry-After header, if any
    QMap<QByteArray, QByteArray> headers; // every response header, names in lower case
};

// An HTTPS GET with the given CA trusted, waiting in a local event loop (tests only).
HttpResult httpsGet(const QString& url, const QList<QSslCertificate>& ca, int timeoutMs = 5000,
                    const QMap<QByteArray, QByteArray>& headers = {});

// An HTTPS POST of `body` (JSON unless said otherwise), waiting in a local event loop.
HttpResult httpsPost(const QString& url, const QList<QSslCertificate>& ca, const QByteArray& body,
                     const QByteArray& contentType = "application/json", int timeoutMs = 10000,
                     const QMap<QByteArray, QByteArray>& headers = {});

// An HTTPS PUT of a JSON `body`, waiting in a local event loop.
HttpResult httpsPut(const QString& url, const QList<QSslCertificate>& ca, const QByteArray& body,
                    int timeoutMs = 10000, const QMap<QByteArray, QByteArray>& headers = {});

// The real callcommander-server binary, started on a free port against a database.
class ServerProcess {
public:
    ServerProcess(QString conninfo, TlsFiles tls, QMap<QString, QString> extraEnv = {});
    ~ServerProcess();

    // Starts and waits for the "listening on" log line; false (with log()) on failure.
    bool start(int timeoutMs = 15000);
    // Polls /readyz until it answers 200.
    bool waitReady(int timeoutMs = 15000);
    quint16 port() const { return m_port; }
    QString baseUrl() const { return QStringLiteral("https://127.0.0.1:%1").arg(m_port); }
    QString wsUrl() const { return QStringLiteral("wss://127.0.0.1:%1/ws").arg(m_port); }
    const TlsFiles& tls() const { return m_tls; }

    // Sends SIGTERM and waits; returns the exit code, or -1 if it had to be killed.
    int terminate(int timeoutMs = 15000);
    // Sends SIGKILL (no shutdown at all, as a crash or the OOM killer would) and waits for the
    // process to end; false if it did not end in time.
    bool kill(int timeoutMs = 5000);
    // Waits for the process to end by itself; returns its exit code, or -1 on timeout or crash.
    int waitForExit(int timeoutMs);
    bool running() const { return m_process.state() != QProcess::NotRunning; }
    qint64 pid() const { return m_process.processId(); }
    QString log();

private:
    QString m_conninfo;
    TlsFiles m_tls;
    QMap<QString, QString> m_extraEnv;
    QProcess m_process;
    QByteArray m_output;
    quint16 m_port = 0;
};

} // namespace cc::test
