// A sync device in a process of its own, for tests that kill it (SIGKILL) between a local write
// and the server's answer: the app's real connection, file cache and sync client (SyncDevice),
// writing call notes one local transaction at a time while it uploads.
//
// Every line on stdout is flushed at once, so the test sees what happened up to the kill:
//   live                                 the device is connected and caught up (with --wait-live;
//                                        the writes start --start-delay-ms later)
//   written <n> <note id> <mutation id>  the n-th note is committed in the cache (and its outbox)
//   pending <k>                          k writes await the server's acknowledgement
//   all-written                          every note is committed locally
//   settled                              every note is acknowledged; the process exits 0
//   error <what>                         the process exits non-zero

#include "tests/support/syncdevice.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QUuid>

#include <cstdio>
#include <string>

namespace {

void say(const std::string& line)
{
    std::fputs((line + "\n").c_str(), stdout);
    std::fflush(stdout);
}

std::string text(const QCommandLineParser& parser, const QString& name)
{
    return parser.value(name).toStdString();
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("A sync device for fault tests"));
    parser.addHelpOption();
    const auto option = [&](const char* name, const char* what) {
        parser.addOption(QCommandLineOption(QString::fromLatin1(name), QString::fromLatin1(what),
                                            QStringLiteral("value")));
    };
    option("ws-url", "the server's wss:// URL");
    option("ca", "PEM file of the CA that signed the server's certificate");
    option("token", "access token");
    option("device-id", "the device id (also the cache's clock node)");
    option("cache", "the cache file");
    option("notes", "how many call notes to write");
    option("customer", "the notes' customer id");
    option("store", "the notes' store (location) id");
    option("marker", "the notes' body starts with this (default: the device id)");
    option("push-batch", "at most this many writes per push (default 500)");
    option("interval-ms", "pause between two writes, running the event loop (default 0)");
    option("start-delay-ms", "pause before the first write, running the event loop (default 0)");
    option("settle-timeout-ms", "how long to wait for the acknowledgements (default 120000)");
    parser.addOption(QCommandLineOption(QStringLiteral("wait-live"),
                                        QStringLiteral("connect and catch up before writing")));
    parser.process(app);
    for (const char* required :
         {"ws-url", "ca", "token", "device-id", "cache", "notes", "customer", "store"}) {
        if (!parser.isSet(QString::fromLatin1(required))) {
            say(std::string("error missing --") + required);
            return 2;
        }
    }
    const auto ca = QSslCertificate::fromPath(parser.value(QStringLiteral("ca")));
    if (ca.isEmpty()) {
        say("error no certificate in " + text(parser, QStringLiteral("ca")));
        return 2;
    }
    const int notes = parser.value(QStringLiteral("notes")).toInt();
    const int interval = parser.value(QStringLiteral("interval-ms")).toInt();
    const int settleTimeout = parser.isSet(QStringLiteral("settle-timeout-ms"))
                                  ? parser.value(QStringLiteral("settle-timeout-ms")).toInt()
                                  : 120000;
    const std::string deviceId = text(parser, QStringLiteral("device-id"));
    const std::string marker =
        parser.isSet(QStringLiteral("marker")) ? text(parser, QStringLiteral("marker")) : deviceId;
    const std::string customer = text(parser, QStringLiteral("customer"));
    const std::string store = text(parser, QStringLiteral("store"));

    try {
        cc::test::SyncDevice device(parser.value(QStringLiteral("ws-url")), ca,
                                    text(parser, QStringLiteral("token")), deviceId,
                                    parser.value(QStringLiteral("cache")));
        if (parser.isSet(QStringLiteral("push-batch"))) {
            device.client().setMaxPushMutations(
                static_cast<std::size_t>(parser.value(QStringLiteral("push-batch")).toUInt()));
        }
        std::size_t lastPending = device.store().pendingCount();
        QObject::connect(&device.client(), &cc::app::SyncClient::statusChanged, &app, [&] {
            const std::size_t pending = device.client().status().pendingWrites;
            if (pending != lastPending) {
                lastPending = pending;
                say("pending " + std::to_string(pending));
            }
        });
        device.connect();
        if (parser.isSet(QStringLiteral("wait-live"))) {
            if (!device.waitLive(60000)) {
                say("error not live: " + device.connection().lastError().toStdString());
                return 3;
            }
            say("live");
        }
        if (const int delay = parser.value(QStringLiteral("start-delay-ms")).toInt(); delay > 0) {
            cc::test::SyncDevice::waitFor([] { return false; }, delay);
        }
        for (int n = 1; n <= notes; ++n) {
            const std::string noteId =
                QUuid::createUuid().toString(QUuid::WithoutBraces).toStdString();
            const auto written = device.client().write(
                "call_notes", cc::sync::Op::Insert, noteId,
                {{"id", cc::sync::Value{noteId}},
                 {"customer_id", cc::sync::Value{customer}},
                 {"location_id", cc::sync::Value{store}},
                 {"body", cc::sync::Value{marker + " " + std::to_string(n)}}});
            if (!written) {
                say("error write " + std::to_string(n) + ": " + written.error().reason);
                return 4;
            }
            say("written " + std::to_string(n) + " " + noteId + " " + written.value());
            if (interval > 0) {
                cc::test::SyncDevice::waitFor([] { return false; }, interval);
            } else {
                QCoreApplication::processEvents();
            }
        }
        say("all-written");
        if (!device.waitSettled(settleTimeout)) {
            say("error not settled: " + device.client().status().lastError.toStdString());
            return 5;
        }
        say("settled");
    } catch (const std::exception& e) {
        say(std::string("error ") + e.what());
        return 6;
    }
    return 0;
}
