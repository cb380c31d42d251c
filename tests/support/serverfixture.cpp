#include "tests/support/serverfixture.h"

namespace cc::test {

QString ServerFixture::start(const QMap<QString, QString>& extraEnv)
{
    if (!dir.isValid()) {
        return QStringLiteral("no temporary folder");
    }
    try {
        tls = TlsFiles::generate(dir.path());
        db = std::make_unique<TestDatabase>();
    } catch (const std::exception& e) {
        return QString::fromStdString(e.what());
    }
    server = std::make_unique<ServerProcess>(QString::fromStdString(db->conninfo()), tls, extraEnv);
    if (!server->start() || !server->waitReady()) {
        return QStringLiteral("the server did not become ready:\n") + server->log();
    }
    return {};
}

int ServerFixture::stop()
{
    return server ? server->terminate() : 0;
}

} // namespace cc::test
