#pragma once

#include "tests/support/serverprocess.h"
#include "tests/support/testdatabase.h"

#include <QMap>
#include <QString>
#include <QTemporaryDir>

#include <memory>

namespace cc::test {

// What most integration tests start from: test certificates, a fresh database on the test
// cluster, and the real server on it, ready.
struct ServerFixture {
    // Empty on success; otherwise what went wrong, with the server's log.
    QString start(const QMap<QString, QString>& extraEnv = {});
    // SIGTERM and wait; the exit code (0 for a clean shutdown).
    int stop();

    QTemporaryDir dir;
    TlsFiles tls;
    std::unique_ptr<TestDatabase> db;
    std::unique_ptr<ServerProcess> server;
};

} // namespace cc::test
