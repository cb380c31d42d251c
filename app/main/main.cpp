// callcommander: the Call Commander app for store tablets and office desktops.
//
//   callcommander [--server wss://host:port/ws] [--ca-cert FILE]
//                 [--organisation CODE] [--email ADDRESS] [--screenshot FILE]
//
// With CALLCOMMANDER_PASSWORD in the environment it signs in at start, for demos and
// screenshots only: unsetting it does not erase the process's initial environment, which other
// processes of the same user can read in /proc/<pid>/environ.

#include "app/analytics/analyticsfeed.h"
#include "app/auth/session.h"
#include "app/core/connectionsettings.h"
#include "app/net/serverconnection.h"
#include "app/sync/syncservice.h"
#include "callcommander/version.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QIcon>
#include <QQmlApplicationEngine>
#include <QQuickStyle>
#include <QQuickWindow>
#include <QSslCertificate>
#include <QStandardPaths>
#include <QTimer>
#include <QtQml/QQmlExtensionPlugin>

#include <cstdio>

Q_IMPORT_QML_PLUGIN(CallCommanderCorePlugin)
Q_IMPORT_QML_PLUGIN(CallCommanderUiPlugin)

int main(int argc, char* argv[])
{
    // QApplication rather than QGuiApplication: Qt Charts' ChartView needs it.
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("CallCommander"));
    QApplication::setApplicationName(QStringLiteral("callcommander"));
    QApplication::setApplicationDisplayName(QStringLiteral("Call Commander"));
    QApplication::setApplicationVersion(QString::fromLatin1(cc::kVersion));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/callcommander.svg")));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Call Commander: one phone system for every store"));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption serverOption(QStringLiteral("server"),
                                          QStringLiteral("Server address (wss://host:port/ws)."),
                                          QStringLiteral("url"));
    const QCommandLineOption caOption(
        QStringLiteral("ca-cert"),
        QStringLiteral("PEM file of certificate authorities to trust besides the system's."),
        QStringLiteral("file"));
    const QCommandLineOption screenshotOption(
        QStringLiteral("screenshot"),
        QStringLiteral("Save a picture of the window after start-up, then quit."),
        QStringLiteral("file"));
    const QCommandLineOption organisationOption(QStringLiteral("organisation"),
                                                QStringLiteral("Company code to sign in with."),
                                                QStringLiteral("code"));
    const QCommandLineOption emailOption(QStringLiteral("email"),
                                         QStringLiteral("E-mail address to sign in with."),
                                         QStringLiteral("address"));
    const QCommandLineOption pageOption(
        QStringLiteral("page"),
        QStringLiteral("Page to open once signed in (calls, tasks, appointments, conflicts, "
                       "integrations, privacy, wallboard, manager-dashboard, "
                       "executive-dashboard)."),
        QStringLiteral("name"));
    parser.addOptions(
        {serverOption, caOption, organisationOption, emailOption, screenshotOption, pageOption});
    parser.process(app);

    cc::app::ConnectionSettings settings;
    if (parser.isSet(serverOption)) {
        settings.setServerUrl(QUrl(parser.value(serverOption)));
    }
    if (parser.isSet(caOption)) {
        settings.setCaCertificateFile(QDir::current().absoluteFilePath(parser.value(caOption)));
    }

    cc::app::ServerConnection connection(nullptr);
    connection.setUrl(settings.serverUrl());
    connection.setDeviceId(settings.deviceId());
    cc::app::Session session(&connection, nullptr);
    // Who signed in here before may sign in again while the server cannot be reached.
    session.setVaultFolder(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation));
    session.setOrganisation(parser.isSet(organisationOption) ? parser.value(organisationOption)
                                                             : settings.organisation());
    session.setEmail(parser.isSet(emailOption) ? parser.value(emailOption) : settings.email());
    if (const QString caFile = settings.caCertificateFile(); !caFile.isEmpty()) {
        // Read once, before the event loop starts; a missing file is reported, not fatal.
        const auto cas = QSslCertificate::fromPath(caFile, QSsl::Pem);
        if (cas.isEmpty()) {
            std::fprintf(stderr, "callcommander: no certificates in %s\n", qPrintable(caFile));
        }
        connection.setExtraCaCertificates(cas);
        session.setExtraCaCertificates(cas);
    }
    // Remember the address and who signed in once it worked (never the password).
    QObject::connect(&session, &cc::app::Session::signedIn, &session, [&] {
        settings.setServerUrl(connection.url());
        settings.setOrganisation(session.organisation());
        settings.setEmail(session.email());
    });
    // The offline cache of whoever signs in, synced on its own thread; it stays on the device
    // when they sign out.
    cc::app::SyncService sync(&connection);
    QObject::connect(&session, &cc::app::Session::signedIn, &sync, [&] {
        sync.start(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation),
                   session.organisation(), session.userId(), session.cacheKey());
    });
    QObject::connect(&session, &cc::app::Session::stateChanged, &sync, [&] {
        if (session.state() == cc::app::Session::State::SignedOut) {
            sync.stop();
        }
    });
    // The live figures of the dashboards, remembered on the device per person like the cache.
    cc::app::AnalyticsFeed analytics(&connection);
    QObject::connect(&session, &cc::app::Session::signedIn, &analytics, [&] {
        analytics.start(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation),
                        session.organisation(), session.userId());
    });
    QObject::connect(&session, &cc::app::Session::stateChanged, &analytics, [&] {
        if (session.state() == cc::app::Session::State::SignedOut) {
            analytics.stop();
        }
    });
    cc::app::ServerConnection::setSingleton(&connection);
    cc::app::Session::setSingleton(&session);
    cc::app::SyncService::setSingleton(&sync);
    cc::app::AnalyticsFeed::setSingleton(&analytics);

    QQuickStyle::setStyle(QStringLiteral("Material"));
    QQmlApplicationEngine engine;
    engine.addImportPath(QStringLiteral("qrc:/")); // Qt 6.4 keeps our static modules there
    QObject::connect(
        &engine, &QQmlApplicationEngine::objectCreationFailed, &app,
        [] { QCoreApplication::exit(1); }, Qt::QueuedConnection);
    engine.setInitialProperties({{QStringLiteral("startPage"), parser.value(pageOption)}});
    engine.load(QUrl(QStringLiteral("qrc:/CallCommander/Ui/Main.qml")));
    if (engine.rootObjects().isEmpty()) {
        return 1;
    }
    if (const QByteArray password = qgetenv("CALLCOMMANDER_PASSWORD"); !password.isEmpty()) {
        qunsetenv("CALLCOMMANDER_PASSWORD");
        session.signIn(QString::fromUtf8(password));
    }

    if (parser.isSet(screenshotOption)) {
        const QString file = parser.value(screenshotOption);
        // Long enough for the first connection attempt to settle on loopback.
        QTimer::singleShot(2500, &app, [&engine, file] {
            auto* window = qobject_cast<QQuickWindow*>(engine.rootObjects().constFirst());
            const bool saved = window != nullptr && window->grabWindow().save(file);
            std::fprintf(stderr, saved ? "saved %s\n" : "could not save %s\n", qPrintable(file));
            QCoreApplication::exit(saved ? 0 : 1);
        });
    }
    return QApplication::exec();
}
