// P3: idle authenticated WebSocket sessions one server node holds, and the memory each costs.
//
// The clients here are a small Boost.Beast program of the benchmark's own (one Asio thread, a
// few KiB per connection), not the app's sync client: the point is the server's memory, and tens
// of thousands of Qt sockets would measure Qt. Each session does what a tablet does: TCP, TLS
// (the server only speaks TLS; the CA is verified), the WebSocket upgrade on /ws, hello with its
// own access token (its own sign-in row), the welcome; in "subscribed" mode also subscribe and
// the first page (a live sync subscriber, as every tablet is), then nothing but the server's
// keep-alive pings. The server's resident memory (VmRSS of /proc/<pid>/status) is read when
// the sessions are open and quiet, at a base level and at the full count; memory per session is
// the slope between the two, so the server's fixed memory does not count.
//
// Modes, each against a fresh server process:
//   subscribed     authenticated and live-subscribed sessions (the figure against the target)
//   authenticated  hello and welcome only
//   tls            TLS connections waiting for their first HTTP request (no WebSocket): what
//                  TLS and the connection alone cost, to estimate a session without TLS
//
//   bench_p3_sessions [--quick] [--sessions N] [--base 1000] [--modes subscribed,tls]
//                     [--concurrency 64]          (modes: subscribed, authenticated, tls)
// The default count is the open-file limit of the server process less 500 (the server and this
// program each need a descriptor per connection; run as root with a higher `ulimit -Hn` for more).
// Sessions come from many loopback addresses (127.0.x.y, 150 each): the server counts the
// WebSocket upgrade against its per-address HTTP rate limit (50/s, burst 200).

#include "bench/fleet.h"
#include "bench/harness.h"
#include "shared/protocol/envelope.h"

#include <QCoreApplication>
#include <QUrl>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

using namespace cc;
using namespace cc::bench;

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using error_code = boost::system::error_code;

namespace {

enum class Mode { Subscribed, Authenticated, Tls };

std::string toString(Mode m)
{
    switch (m) {
    case Mode::Subscribed:
        return "subscribed";
    case Mode::Authenticated:
        return "authenticated";
    case Mode::Tls:
        return "tls";
    }
    return "?";
}

struct Shared {
    std::atomic<std::int64_t> open{0};     // reached their idle state
    std::atomic<std::int64_t> failed{0};   // never got there
    std::atomic<std::int64_t> dropped{0};  // got there, then closed
    std::atomic<std::int64_t> inFlight{0}; // being set up
    std::mutex errorMutex;
    std::string firstError;

    void fail(const std::string& what)
    {
        ++failed;
        const std::lock_guard lock(errorMutex);
        if (firstError.empty()) {
            firstError = what;
        }
    }
};

// One simulated device's connection.
class Session : public std::enable_shared_from_this<Session> {
public:
    Session(asio::io_context& io, ssl::context& tls, Shared& shared, Mode mode,
            tcp::endpoint server, std::string sourceAddress, std::string token,
            std::string deviceId)
        : m_ws(asio::make_strand(io), tls)
        , m_shared(shared)
        , m_mode(mode)
        , m_server(std::move(server))
        , m_source(std::move(sourceAddress))
        , m_token(std::move(token))
        , m_deviceId(std::move(deviceId))
    {}

    void start()
    {
        auto& socket = beast::get_lowest_layer(m_ws).socket();
        error_code ec;
        socket.open(tcp::v4(), ec);
        if (!ec && !m_source.empty()) {
            socket.bind(tcp::endpoint(asio::ip::make_address(m_source), 0), ec);
        }
        if (ec) {
            return failed("socket: " + ec.message());
        }
        beast::get_lowest_layer(m_ws).expires_after(std::chrono::seconds(60));
        beast::get_lowest_layer(m_ws).async_connect(
            m_server, beast::bind_front_handler(&Session::onConnect, shared_from_this()));
    }

private:
    void onConnect(error_code ec)
    {
        if (ec) {
            return failed("connect: " + ec.message());
        }
        m_ws.next_layer().async_handshake(
            ssl::stream_base::client,
            beast::bind_front_handler(&Session::onTls, shared_from_this()));
    }

    void onTls(error_code ec)
    {
        if (ec) {
            return failed("TLS: " + ec.message());
        }
        if (m_mode == Mode::Tls) {
            // Hold the connection: the server waits for a first HTTP request.
            beast::get_lowest_layer(m_ws).expires_never();
            reached();
            m_ws.next_layer().async_read_some(
                asio::buffer(m_byte, 1),
                [self = shared_from_this()](error_code, std::size_t) { self->closed(); });
            return;
        }
        beast::get_lowest_layer(m_ws).expires_never();
        m_ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
        m_ws.async_handshake("127.0.0.1", "/ws",
                             beast::bind_front_handler(&Session::onUpgrade, shared_from_this()));
    }

    void onUpgrade(error_code ec)
    {
        if (ec) {
            return failed("upgrade: " + ec.message());
        }
        protocol::Hello hello;
        hello.client = "callcommander-bench";
        hello.clientVersion = "0.1.0";
        hello.deviceId = m_deviceId;
        hello.token = m_token;
        send(protocol::Envelope{protocol::kMaxProtocolVersion, "h", hello});
        read();
    }

    void send(const protocol::Envelope& e)
    {
        m_out = protocol::encode(e);
        m_ws.text(true);
        m_ws.async_write(asio::buffer(m_out),
                         [self = shared_from_this()](error_code ec, std::size_t) {
                             if (ec) {
                                 self->failed("write: " + ec.message());
                             }
                         });
    }

    void read()
    {
        m_ws.async_read(m_in, beast::bind_front_handler(&Session::onRead, shared_from_this()));
    }

    void onRead(error_code ec, std::size_t)
    {
        if (ec) {
            return m_reached ? closed() : failed("read: " + ec.message());
        }
        if (!m_reached) {
            const std::string text = beast::buffers_to_string(m_in.data());
            auto decoded = protocol::decode(text);
            if (!decoded) {
                return failed("undecodable message");
            }
            const auto& body = decoded->body;
            if (const auto* err = std::get_if<protocol::Error>(&body)) {
                return failed("server error: " + err->message);
            }
            if (std::holds_alternative<protocol::Welcome>(body)) {
                if (m_mode == Mode::Authenticated) {
                    reached();
                } else {
                    send(protocol::Envelope{protocol::kMaxProtocolVersion, "s",
                                            protocol::Subscribe{}});
                }
            } else if (const auto* c = std::get_if<protocol::Changes>(&body)) {
                if (c->complete) {
                    reached();
                } else {
                    send(protocol::Envelope{
                        protocol::kMaxProtocolVersion, {}, protocol::Pull{c->to}});
                }
            }
        }
        m_in.consume(m_in.size());
        m_in.shrink_to_fit();
        read(); // idle: Beast answers the server's pings while this read waits
    }

    void reached()
    {
        if (!m_reached) {
            m_reached = true;
            --m_shared.inFlight;
            ++m_shared.open;
            m_out.clear();
            m_out.shrink_to_fit();
        }
    }

    void failed(const std::string& what)
    {
        if (m_done) {
            return;
        }
        m_done = true;
        if (!m_reached) {
            --m_shared.inFlight;
            m_shared.fail(what);
        } else {
            closed();
        }
    }

    void closed()
    {
        if (m_reached && !m_closedCounted) {
            m_closedCounted = true;
            --m_shared.open;
            ++m_shared.dropped;
        }
    }

    websocket::stream<beast::ssl_stream<beast::tcp_stream>> m_ws;
    Shared& m_shared;
    Mode m_mode;
    tcp::endpoint m_server;
    std::string m_source;
    std::string m_token;
    std::string m_deviceId;
    beast::flat_buffer m_in;
    std::string m_out;
    char m_byte[1] = {};
    bool m_reached = false;
    bool m_done = false;
    bool m_closedCounted = false;
};

constexpr std::int64_t kPerAddress = 150;

struct Level {
    std::int64_t sessions = 0;
    std::int64_t rssKiB = 0;
};

struct ModeResult {
    Mode mode = Mode::Subscribed;
    std::vector<Level> levels;
    std::int64_t target = 0;
    std::int64_t held = 0; // open at the end of the quiet period
    std::int64_t failed = 0;
    std::int64_t dropped = 0;
    double openSeconds = 0;
    double kibPerSession = 0;
    std::int64_t clientRssKiB = 0;
    std::string firstError;
    std::string error;
};

// Resident memory once it stops moving (allocations settle after the last handshakes).
std::int64_t quietRss(std::int64_t pid)
{
    std::int64_t last = rssKiB(pid);
    for (int i = 0; i < 20; ++i) {
        spinFor(250);
        const std::int64_t now = rssKiB(pid);
        if (std::llabs(now - last) < 64) {
            return now;
        }
        last = now;
    }
    return last;
}

ModeResult runMode(Mode mode, std::int64_t sessions, std::int64_t base, std::int64_t concurrency)
{
    ModeResult out;
    out.mode = mode;
    out.target = sessions;
    BenchServer server;
    QMap<QString, QString> env;
    // Long enough that nothing times out while thousands of sessions are opened; the session
    // itself is the same.
    env.insert(QStringLiteral("CALLCOMMANDER_TIMEOUTS_IDLE_SECONDS"), QStringLiteral("600"));
    env.insert(QStringLiteral("CALLCOMMANDER_TIMEOUTS_HANDSHAKE_SECONDS"), QStringLiteral("60"));
    env.insert(QStringLiteral("CALLCOMMANDER_SERVER_MAX_CONNECTIONS"),
               QString::number(sessions + 1000));
    if (auto err = server.start(env); !err.empty()) {
        out.error = err;
        return out;
    }
    std::vector<DeviceIdentity> ids;
    if (mode != Mode::Tls) {
        Report::progress(toString(mode) + ": minting " + thousands(sessions) + " sign-ins");
        ids = mintDevices(server.db(), server.chain().staffA, "p3",
                          static_cast<std::size_t>(sessions));
    }
    const quint16 port = static_cast<quint16>(QUrl(server.wsUrl()).port());

    ssl::context tls(ssl::context::tls_client);
    tls.load_verify_file(server.caFile().toStdString());
    tls.set_verify_mode(ssl::verify_peer);
    asio::io_context io;
    auto work = asio::make_work_guard(io);
    std::thread ioThread([&] { io.run(); });
    Shared shared;
    const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
    std::vector<std::shared_ptr<Session>> all;
    all.reserve(static_cast<std::size_t>(sessions));

    const auto openUpTo = [&](std::int64_t level) {
        while (static_cast<std::int64_t>(all.size()) < level) {
            if (shared.inFlight.load() >= concurrency) {
                std::this_thread::sleep_for(std::chrono::microseconds(200));
                continue;
            }
            const auto i = static_cast<std::int64_t>(all.size());
            // The server rate-limits HTTP requests per address (50/s after a burst of 200; the
            // WebSocket upgrade is one), as if each store's router were one address: 150
            // sessions per loopback address 127.0.x.y, so none is refused.
            const std::int64_t group = i / kPerAddress;
            const std::string source =
                "127.0." + std::to_string(1 + group / 250) + "." + std::to_string(1 + group % 250);
            ++shared.inFlight;
            auto s = std::make_shared<Session>(
                io, tls, shared, mode, endpoint, source,
                mode == Mode::Tls ? std::string() : ids[static_cast<std::size_t>(i)].token,
                mode == Mode::Tls ? std::string() : ids[static_cast<std::size_t>(i)].deviceId);
            all.push_back(s);
            asio::post(io, [s] { s->start(); });
        }
        while (shared.inFlight.load() > 0) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    };

    const auto start = Clock::now();
    out.levels.push_back({0, quietRss(server.pid())});
    for (const std::int64_t level : {base, sessions}) {
        Report::progress(toString(mode) + ": opening up to " + thousands(level) + " sessions");
        openUpTo(level);
        if (level == sessions) {
            out.openSeconds = msSince(start) / 1000.0;
        }
        server.log(); // keep its output pipe drained
        out.levels.push_back({shared.open.load(), quietRss(server.pid())});
    }
    // Quiet period: are they all still there?
    spinFor(3000);
    out.held = shared.open.load();
    out.failed = shared.failed.load();
    out.dropped = shared.dropped.load();
    out.firstError = shared.firstError;
    out.clientRssKiB = rssKiB(static_cast<std::int64_t>(QCoreApplication::applicationPid()));
    const auto& lo = out.levels[1];
    const auto& hi = out.levels[2];
    if (hi.sessions > lo.sessions) {
        out.kibPerSession = static_cast<double>(hi.rssKiB - lo.rssKiB) /
                            static_cast<double>(hi.sessions - lo.sessions);
    }
    server.stop(); // the sessions end with it
    work.reset();
    io.stop();
    ioThread.join();
    all.clear();
    return out;
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const Args args(argc, argv);
    const std::int64_t limit = raiseOpenFileLimit();
    const std::int64_t fallback = args.quick() ? 2000 : std::max<std::int64_t>(1000, limit - 500);
    const auto sessions = args.integer("sessions", fallback);
    const auto base = args.integer("base", std::min<std::int64_t>(1000, sessions / 4));
    const auto concurrency = args.integer("concurrency", 64);
    std::vector<Mode> modes;
    {
        std::stringstream in(args.text("modes", "subscribed,tls"));
        for (std::string m; std::getline(in, m, ',');) {
            if (m == "subscribed") {
                modes.push_back(Mode::Subscribed);
            } else if (m == "authenticated") {
                modes.push_back(Mode::Authenticated);
            } else if (m == "tls") {
                modes.push_back(Mode::Tls);
            } else {
                std::cerr << "--modes takes subscribed, authenticated and tls\n";
                return 2;
            }
        }
    }
    args.rejectUnknown("bench_p3_sessions [--quick] [--sessions N] [--base N] "
                       "[--modes subscribed,authenticated,tls] [--concurrency N]");

    Report report("P3", "idle authenticated WebSocket sessions on one node, memory each");
    report.note("open-file limit of this process and of the server it starts: " + thousands(limit) +
                "; sessions asked for: " + thousands(sessions) +
                " (memory per session: slope of the server's VmRSS between " + thousands(base) +
                " and that many sessions)");
    report.note("client: Boost.Beast, one thread, " + std::to_string(concurrency) +
                " handshakes at a time, 150 sessions per loopback address (the server's per-"
                "address HTTP rate limit counts upgrades); TLS with the test CA's P-256 "
                "certificate; one sign-in and access token per session");
    std::optional<double> subscribedKiB, tlsKiB;
    for (const Mode mode : modes) {
        const ModeResult r = runMode(mode, sessions, base, concurrency);
        const std::string m = toString(mode);
        if (!r.error.empty()) {
            report.fail(m + ": " + r.error);
            continue;
        }
        std::string levels;
        for (const auto& l : r.levels) {
            levels += (levels.empty() ? "" : ", ") + thousands(l.sessions) + " -> " +
                      thousands(l.rssKiB / 1024) + " MiB";
        }
        report.note("--- " + m + ": server RSS " + levels + "; opened in " +
                    fixed(r.openSeconds, 1) + " s; this client's RSS " +
                    thousands(r.clientRssKiB / 1024) + " MiB");
        const bool main = mode == Mode::Subscribed;
        // A smaller run (--quick) shows the memory, not the count: no verdict unless it failed.
        std::optional<bool> held;
        if (main && r.held != r.target) {
            held = false;
        } else if (main && r.target >= limit - 500) {
            held = true;
        }
        report.figure(m + ": sessions held", thousands(r.held) + " of " + thousands(r.target),
                      main ? "up to the fd limit (" + thousands(limit) + ")" : "", held,
                      r.held == r.target ? ""
                                         : thousands(r.failed) + " failed (first: " + r.firstError +
                                               "), " + thousands(r.dropped) + " dropped");
        report.figure(m + ": memory per session", fixed(r.kibPerSession, 1) + " KiB",
                      main ? "stated with TLS" : "");
        if (mode == Mode::Subscribed) {
            subscribedKiB = r.kibPerSession;
        } else if (mode == Mode::Tls) {
            tlsKiB = r.kibPerSession;
        }
    }
    if (subscribedKiB && tlsKiB) {
        const double without = *subscribedKiB - *tlsKiB;
        report.figure("estimate without TLS (subscribed - tls)", fixed(without, 1) + " KiB",
                      "<= 4 KiB", without <= 4.0,
                      without <= 4.0
                          ? "an estimate: the server only speaks TLS, so a session without it "
                            "cannot be measured directly"
                          : "an estimate (the server only speaks TLS); the WebSocket session's "
                            "own buffers and state cost more than 4 KiB");
    }
    report.figure("50,000+ sessions", "not run by default", "", std::nullopt,
                  "needs a higher open-file limit for both processes (as root: ulimit -Hn "
                  "100000; then --sessions 50000)");
    return report.finish();
}
