#include "tests/support/serverprocess.h"

#include "tests/support/seed.h"

#include <QDeadlineTimer>
#include <QEventLoop>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcessEnvironment>
#include <QRegularExpression>
#include <QSslConfiguration>
#include <QThread>
#include <QTimer>

#include <signal.h>
#include <stdexcept>

namespace cc::test {

QList<QSslCertificate> TlsFiles::ca() const
{
    return QSslCertificate::fromPath(caFile);
}

TlsFiles TlsFiles::generate(const QString& dir)
{
    TlsFiles t{dir + QStringLiteral("/ca.pem"), dir + QStringLiteral("/server.pem"),
               dir + QStringLiteral("/server.key")};
    const QString caKey = dir + QStringLiteral("/ca.key");
    const QString csr = dir + QStringLiteral("/server.csr");
    const QString ext = dir + QStringLiteral("/server.ext");
    {
        QFile f(ext);
        if (!f.open(QIODevice::WriteOnly)) {
            throw std::runtime_error("cannot write " + ext.toStdString());
        }
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
    }
    const QList<QStringList> steps = {
        {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
         QStringLiteral("ec"), QStringLiteral("-pkeyopt"),
         QStringLiteral("ec_paramgen_curve:P-256"), QStringLiteral("-nodes"),
         QStringLiteral("-days"), QStringLiteral("2"), QStringLiteral("-subj"),
         QStringLiteral("/CN=Test CA"), QStringLiteral("-keyout"), caKey, QStringLiteral("-out"),
         t.caFile},
        {QStringLiteral("req"), QStringLiteral("-newkey"), QStringLiteral("ec"),
         QStringLiteral("-pkeyopt"), QStringLiteral("ec_paramgen_curve:P-256"),
         QStringLiteral("-nodes"), QStringLiteral("-subj"), QStringLiteral("/CN=localhost"),
         QStringLiteral("-keyout"), t.keyFile, QStringLiteral("-out"), csr},
        {QStringLiteral("x509"), QStringLiteral("-req"), QStringLiteral("-in"), csr,
         QStringLiteral("-CA"), t.caFile, QStringLiteral("-CAkey"), caKey,
         QStringLiteral("-CAcreateserial"), QStringLiteral("-days"), QStringLiteral("2"),
         QStringLiteral("-extfile"), ext, QStringLiteral("-out"), t.certFile},
    };
    for (const auto& args : steps) {
        QProcess p;
        p.start(QStringLiteral("openssl"), args);
        if (!p.waitForFinished(30000) || p.exitCode() != 0) {
            throw std::runtime_error("openssl failed: " + p.readAllStandardError().toStdString());
        }
    }
    return t;
}

namespace {

HttpResult finish(QNetworkReply* reply)
{
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    if (!reply->isFinished()) {
        loop.exec();
    }
    HttpResult r;
    r.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    r.body = reply->readAll();
    r.retryAfter = reply->rawHeader("Retry-After");
    for (const auto& [name, value] : reply->rawHeaderPairs()) {
        r.headers.insert(name.toLower(), value);
    }
    if (reply->error() != QNetworkReply::NoError) {
        r.error = reply->errorString();
    }
    reply->deleteLater();
    return r;
}

QNetworkRequest makeRequest(const QString& url, const QList<QSslCertificate>& ca, int timeoutMs)
{
    QNetworkRequest request{QUrl(url)};
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.addCaCertificates(ca);
    request.setSslConfiguration(tls);
    request.setTransferTimeout(timeoutMs);
    return request;
}

} // namespace

HttpResult httpsGet(const QString& url, const QList<QSslCertificate>& ca, int timeoutMs,
                    const QMap<QByteArray, QByteArray>& headers)
{
    QNetworkAccessManager nam;
    QNetworkRequest request = makeRequest(url, ca, timeoutMs);
    for (auto it = headers.cbegin(); it != headers.cend(); ++it) {
        request.setRawHeader(it.key(), it.value());
    }
    return finish(nam.get(request));
}

HttpResult httpsPost(const QString& url, const QList<QSslCertificate>& ca, const QByteArray& body,
                     const QByteArray& contentType, int timeoutMs,
                     const QMap<QByteArray, QByteArray>& headers)
{
    QNetworkAccessManager nam;
    QNetworkRequest request = makeRequest(url, ca, timeoutMs);
    request.setRawHeader("Content-Type", contentType);
    for (auto it = headers.cbegin(); it != headers.cend(); ++it) {
        request.setRawHeader(it.key(), it.value());
    }
    return finish(nam.post(request, body));
}

HttpResult httpsPut(const QString& url, const QList<QSslCertificate>& ca, const QByteArray& body,
                    int timeoutMs, const QMap<QByteArray, QByteArray>& headers)
{
    QNetworkAccessManager nam;
    QNetworkRequest request = makeRequest(url, ca, timeoutMs);
    request.setRawHeader("Content-Type", "application/json");
    for (auto it = headers.cbegin(); it != headers.cend(); ++it) {
        request.setRawHeader(it.key(), it.value());
    }
    return finish(nam.put(request, body));
}

ServerProcess::ServerProcess(QString conninfo, TlsFiles tls, QMap<QString, QString> extraEnv)
    : m_conninfo(std::move(conninfo))
    , m_tls(std::move(tls))
    , m_extraEnv(std::move(extraEnv))
{
    m_process.setProcessChannelMode(QProcess::MergedChannels);
}

ServerProcess::~ServerProcess()
{
    if (running()) {
        m_process.kill();
        m_process.waitForFinished(5000);
    }
}

bool ServerProcess::start(int timeoutMs)
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("CALLCOMMANDER_LISTEN_ADDRESS"), QStringLiteral("127.0.0.1"));
    env.insert(QStringLiteral("CALLCOMMANDER_LISTEN_PORT"), QStringLiteral("0"));
    env.insert(QStringLiteral("CALLCOMMANDER_TLS_CERT"), m_tls.certFile);
    env.insert(QStringLiteral("CALLCOMMANDER_TLS_KEY"), m_tls.keyFile);
    env.insert(QStringLiteral("CALLCOMMANDER_DB_CONNINFO"), m_conninfo);
    env.insert(QStringLiteral("CALLCOMMANDER_SERVER_NODE"), QStringLiteral("test-node"));
    env.insert(QStringLiteral("CALLCOMMANDER_SHUTDOWN_GRACE_SECONDS"), QStringLiteral("3"));
    env.insert(QStringLiteral("CALLCOMMANDER_AUTH_TOKEN_KEYS"),
               QString::fromLatin1(kTestTokenKeys));
    env.insert(QStringLiteral("CALLCOMMANDER_SECRETS_KEYS"), QString::fromLatin1(kTestSecretsKeys));
    for (auto it = m_extraEnv.cbegin(); it != m_extraEnv.cend(); ++it) {
        env.insert(it.key(), it.value());
    }
    m_process.setProcessEnvironment(env);
    m_process.start(QStringLiteral(CC_SERVER_BINARY), {});
    if (!m_process.waitForStarted(timeoutMs)) {
        return false;
    }
    static const QRegularExpression listening(QStringLiteral("listening on https://[^:]+:(\\d+)"));
    QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired() && running()) {
        m_process.waitForReadyRead(100);
        m_output += m_process.readAll();
        const auto match = listening.match(QString::fromUtf8(m_output));
        if (match.hasMatch()) {
            m_port = static_cast<quint16>(match.captured(1).toUInt());
            return true;
        }
    }
    return false;
}

bool ServerProcess::waitReady(int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired() && running()) {
        if (httpsGet(baseUrl() + QStringLiteral("/readyz"), m_tls.ca(), 2000).status == 200) {
            return true;
        }
        QThread::msleep(100);
    }
    return false;
}

int ServerProcess::terminate(int timeoutMs)
{
    if (!running()) {
        return m_process.exitCode();
    }
    ::kill(static_cast<pid_t>(m_process.processId()), SIGTERM);
    if (!m_process.waitForFinished(timeoutMs)) {
        m_process.kill();
        m_process.waitForFinished(5000);
        return -1;
    }
    m_output += m_process.readAll();
    return m_process.exitStatus() == QProcess::NormalExit ? m_process.exitCode() : -1;
}

bool ServerProcess::kill(int timeoutMs)
{
    if (!running()) {
        return true;
    }
    m_process.kill(); // SIGKILL
    const bool ended = m_process.waitForFinished(timeoutMs);
    m_output += m_process.readAll();
    return ended;
}

int ServerProcess::waitForExit(int timeoutMs)
{
    if (running() && !m_process.waitForFinished(timeoutMs)) {
        return -1;
    }
    m_output += m_process.readAll();
    return m_process.exitStatus() == QProcess::NormalExit ? m_process.exitCode() : -1;
}

QString ServerProcess::log()
{
    m_output += m_process.readAll();
    return QString::fromUtf8(m_output);
}

} // namespace cc::test
