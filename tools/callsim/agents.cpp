#include "tools/callsim/agents.h"

#include "shared/protocol/envelope.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <deque>
#include <fstream>
#include <stdexcept>

namespace cc::callsim {
namespace {

namespace websocket = boost::beast::websocket;
namespace json = boost::json;

constexpr std::size_t kParallelLogins = 4; // each costs the server a memory-hard hash
constexpr int kMaxLoginAttempts = 10;
constexpr auto kConnectTimeout = std::chrono::seconds(10);
constexpr auto kReconnectDelay = std::chrono::seconds(2);
constexpr auto kMaxLoginWait = std::chrono::seconds(60);
constexpr std::int64_t kRefreshAheadSeconds = 60;

std::int64_t unixNow()
{
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string jsonString(const json::object& o, std::string_view key)
{
    const json::value* v = o.if_contains(key);
    return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

} // namespace

std::vector<std::string> readAgentsFile(const std::string& path, int limit)
{
    std::ifstream in(path);
    if (!in) {
        throw std::runtime_error("cannot read the agents file " + path);
    }
    std::vector<std::string> emails;
    std::string line;
    while (std::getline(in, line)) {
        line = line.substr(0, line.find('#'));
        line.erase(0, line.find_first_not_of(" \t\r"));
        line.erase(line.find_last_not_of(" \t\r") + 1);
        if (line.empty()) {
            continue;
        }
        emails.push_back(line);
        if (limit > 0 && emails.size() >= static_cast<std::size_t>(limit)) {
            break;
        }
    }
    if (emails.empty()) {
        throw std::runtime_error("the agents file " + path + " names nobody");
    }
    return emails;
}

// ---- one person ----

class Agents::Agent : public std::enable_shared_from_this<Agent> {
public:
    Agent(Agents& owner, std::string email, std::size_t number)
        : m_owner(owner)
        , m_email(std::move(email))
        , m_deviceId("callsim-agent-" + std::to_string(number))
        , m_timer(owner.m_io)
    {}

    void signIn(std::function<void(bool)> settled)
    {
        m_settle = std::move(settled);
        login(0);
    }

    // Closes the socket (the person goes offline), then ends the sign-in.
    void stop(std::function<void()> done)
    {
        m_stopping = true;
        m_timer.cancel();
        m_stopped = std::move(done);
        if (m_ws && m_socketOpen) {
            // The WebSocket's own close timeout (the suggested client settings) bounds this.
            m_ws->async_close(websocket::close_code::normal,
                              [self = shared_from_this()](error_code) { self->signOut(); });
        } else {
            signOut();
        }
    }

private:
    void signOut()
    {
        closeSocket();
        if (m_refreshToken.empty()) {
            stopped();
            return;
        }
        HttpCall call;
        call.target = "/v1/auth/logout";
        call.contentType = "application/json";
        call.body = json::serialize(json::object{{"refreshToken", m_refreshToken}});
        m_owner.m_pool.request(std::move(call),
                               [self = shared_from_this()](HttpAnswer) { self->stopped(); });
    }

    void stopped()
    {
        if (m_stopped) {
            auto done = std::move(m_stopped);
            m_stopped = nullptr;
            done();
        }
    }

    void problem(const std::string& what)
    {
        m_owner.m_report.addError("agent " + m_email + ": " + what);
    }

    // Settles the sign-in once: online, or given up.
    void settle(bool online, const std::string& why = {})
    {
        if (!online) {
            problem(why);
        }
        if (m_settle) {
            auto settle = std::move(m_settle);
            m_settle = nullptr;
            settle(online);
        }
    }

    void login(int attempt)
    {
        HttpCall call;
        call.target = "/v1/auth/login";
        call.contentType = "application/json";
        call.body =
            json::serialize(json::object{{"organisation", m_owner.m_options.agentsOrganisation},
                                         {"email", m_email},
                                         {"password", m_owner.m_options.agentsPassword},
                                         {"deviceId", m_deviceId}});
        m_owner.m_pool.request(std::move(call),
                               [self = shared_from_this(), attempt](HttpAnswer answer) {
                                   self->onLogin(std::move(answer), attempt);
                               });
    }

    void onLogin(HttpAnswer answer, int attempt)
    {
        if (m_stopping) {
            return;
        }
        if ((answer.status == 429 || answer.status == 503) && attempt + 1 < kMaxLoginAttempts) {
            // Sign-ins are rate-limited per address: wait as long as the server asks.
            const auto delay = std::clamp<std::chrono::seconds>(
                answer.retryAfter, std::chrono::seconds(1), kMaxLoginWait);
            m_timer.expires_after(delay);
            m_timer.async_wait([self = shared_from_this(), attempt](error_code ec) {
                if (!ec) {
                    self->login(attempt + 1);
                }
            });
            return;
        }
        std::string error;
        if (answer.status != 200 || !takeTokens(answer.body, error)) {
            lost("sign-in failed: " +
                 (answer.status == 0 ? answer.error
                                     : "HTTP " + std::to_string(answer.status) + " " +
                                           answer.body.substr(0, 120)) +
                 error);
            return;
        }
        openSocket();
    }

    bool takeTokens(const std::string& body, std::string& error)
    {
        boost::system::error_code ec;
        const json::value v = json::parse(body, ec);
        const json::object* o = ec ? nullptr : v.if_object();
        if (o == nullptr) {
            error = "; the answer is not a JSON object";
            return false;
        }
        m_accessToken = jsonString(*o, "accessToken");
        m_refreshToken = jsonString(*o, "refreshToken");
        const json::value* expires = o->if_contains("accessExpiresAt");
        m_expiresAt = expires != nullptr && expires->is_int64() ? expires->as_int64() : 0;
        if (const json::value* user = o->if_contains("user");
            user != nullptr && user->is_object()) {
            m_userId = jsonString(user->get_object(), "id");
        }
        if (m_accessToken.empty() || m_refreshToken.empty() || m_expiresAt == 0) {
            error = "; the answer lacks the tokens";
            return false;
        }
        return true;
    }

    void openSocket()
    {
        m_ws = std::make_unique<websocket::stream<TlsStream>>(m_owner.m_io, m_owner.m_pool.tls());
        m_socketOpen = false;
        m_out.clear();
        m_writing = false;
        std::string error;
        if (!prepareTls(m_ws->next_layer(), m_owner.m_pool.origin().host, m_owner.m_pool.verify(),
                        error)) {
            lost(error);
            return;
        }
        beast::get_lowest_layer(*m_ws).expires_after(kConnectTimeout);
        beast::get_lowest_layer(*m_ws).async_connect(
            m_owner.m_pool.endpoints(),
            [self = shared_from_this()](error_code ec, const tcp::endpoint&) {
                if (ec) {
                    self->lost("cannot connect the WebSocket: " + ec.message());
                    return;
                }
                self->m_ws->next_layer().async_handshake(ssl::stream_base::client,
                                                         [self](error_code e) { self->onTls(e); });
            });
    }

    void onTls(error_code ec)
    {
        if (ec) {
            lost("WebSocket TLS handshake failed: " + ec.message());
            return;
        }
        beast::get_lowest_layer(*m_ws).expires_never();
        m_ws->set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
        m_ws->set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
            req.set(http::field::user_agent, "callcommander-callsim/0.1");
        }));
        const std::string& base = m_owner.m_pool.origin().base;
        m_ws->async_handshake(base.substr(base.find("://") + 3), "/ws",
                              [self = shared_from_this()](error_code e) { self->onUpgrade(e); });
    }

    void onUpgrade(error_code ec)
    {
        if (ec) {
            lost("WebSocket upgrade failed: " + ec.message());
            return;
        }
        m_socketOpen = true;
        protocol::Hello hello;
        hello.client = "callcommander-callsim";
        hello.clientVersion = "0.1.0";
        hello.deviceId = m_deviceId;
        hello.token = m_accessToken;
        write(protocol::encode(protocol::Envelope{protocol::kMaxProtocolVersion, "hello", hello}));
        read();
    }

    void write(std::string text)
    {
        m_out.push_back(std::move(text));
        if (!m_writing) {
            writeNext();
        }
    }

    void writeNext()
    {
        if (m_out.empty() || !m_socketOpen) {
            m_writing = false;
            return;
        }
        m_writing = true;
        m_ws->text(true);
        m_ws->async_write(asio::buffer(m_out.front()),
                          [self = shared_from_this(), ws = m_ws.get()](error_code ec, std::size_t) {
                              if (ws != self->m_ws.get()) {
                                  return; // a socket since replaced
                              }
                              self->m_out.pop_front();
                              if (ec) {
                                  self->m_writing = false;
                                  return; // the read side reports the loss
                              }
                              self->writeNext();
                          });
    }

    void read()
    {
        m_ws->async_read(m_in,
                         [self = shared_from_this(), ws = m_ws.get()](error_code ec, std::size_t) {
                             if (ws != self->m_ws.get()) {
                                 return;
                             }
                             self->onRead(ec);
                         });
    }

    void onRead(error_code ec)
    {
        if (ec) {
            m_socketOpen = false;
            if (!m_stopping) {
                lost("WebSocket closed: " + ec.message());
            }
            return;
        }
        const std::string text = beast::buffers_to_string(m_in.data());
        m_in.consume(m_in.size());
        auto envelope = protocol::decode(text);
        if (!envelope) {
            lost("undecodable message from the server: " + envelope.error().message);
            return;
        }
        if (const auto* error = std::get_if<protocol::Error>(&envelope->body)) {
            lost("the server refused: " + std::string(protocol::toString(error->code)) + " " +
                 error->message);
            return;
        }
        if (std::holds_alternative<protocol::Welcome>(envelope->body) && !m_online) {
            m_online = true;
            setAvailable();
            scheduleRefresh();
        }
        // Anything else (sync traffic the simulator did not ask for) is read and dropped; the
        // pending read keeps answering the server's pings.
        read();
    }

    void setAvailable()
    {
        HttpCall call;
        call.method = http::verb::put;
        call.target = "/v1/me/presence";
        call.contentType = "application/json";
        call.body = R"({"status":"available"})";
        call.headers.emplace_back("Authorization", "Bearer " + m_accessToken);
        m_owner.m_pool.request(std::move(call), [self = shared_from_this()](HttpAnswer answer) {
            if (answer.status == 200) {
                if (!self->m_counted) {
                    self->m_counted = true;
                    ++self->m_owner.m_report.agentsOnline;
                }
                self->settle(true);
            } else {
                self->settle(false, "PUT /v1/me/presence answered " +
                                        (answer.status == 0 ? answer.error
                                                            : std::to_string(answer.status) + " " +
                                                                  answer.body.substr(0, 120)));
            }
        });
    }

    void scheduleRefresh()
    {
        const std::int64_t in =
            std::max<std::int64_t>(5, m_expiresAt - unixNow() - kRefreshAheadSeconds);
        m_timer.expires_after(std::chrono::seconds(in));
        m_timer.async_wait([self = shared_from_this()](error_code ec) {
            if (!ec && !self->m_stopping) {
                self->refresh();
            }
        });
    }

    void refresh()
    {
        HttpCall call;
        call.target = "/v1/auth/refresh";
        call.contentType = "application/json";
        call.body = json::serialize(json::object{{"refreshToken", m_refreshToken}});
        m_owner.m_pool.request(std::move(call), [self = shared_from_this()](HttpAnswer answer) {
            if (self->m_stopping) {
                return;
            }
            std::string error;
            if (answer.status != 200 || !self->takeTokens(answer.body, error)) {
                // The sign-in is gone: start over with a new one.
                self->closeSocket();
                self->lost("token refresh failed (" + std::to_string(answer.status) + ")" + error);
                return;
            }
            protocol::Reauth reauth;
            reauth.token = self->m_accessToken;
            self->write(protocol::encode(
                protocol::Envelope{protocol::kMaxProtocolVersion, "reauth", reauth}));
            self->scheduleRefresh();
        });
    }

    void closeSocket()
    {
        if (m_ws) {
            error_code ignored;
            beast::get_lowest_layer(*m_ws).socket().close(ignored);
        }
        m_socketOpen = false;
    }

    // Not online (any more): a person who never made it is given up; one who was online signs
    // in again after a pause, as the app would.
    void lost(const std::string& why)
    {
        if (m_stopping || m_gaveUp) {
            return;
        }
        if (!m_online) {
            m_gaveUp = true;
            ++m_owner.m_report.agentsFailed;
            closeSocket();
            settle(false, why);
            return;
        }
        problem(why + "; signing in again");
        m_online = false;
        closeSocket();
        m_timer.cancel();
        m_timer.expires_after(kReconnectDelay);
        m_timer.async_wait([self = shared_from_this()](error_code ec) {
            if (!ec && !self->m_stopping) {
                self->login(0);
            }
        });
    }

    Agents& m_owner;
    std::string m_email;
    std::string m_deviceId;
    asio::steady_timer m_timer;
    std::unique_ptr<websocket::stream<TlsStream>> m_ws;
    beast::flat_buffer m_in;
    std::deque<std::string> m_out;
    bool m_writing = false;
    bool m_socketOpen = false;
    bool m_online = false;
    bool m_counted = false;
    bool m_stopping = false;
    bool m_gaveUp = false;
    std::string m_accessToken;
    std::string m_refreshToken;
    std::string m_userId;
    std::int64_t m_expiresAt = 0;
    std::function<void(bool)> m_settle;
    std::function<void()> m_stopped;
};

// ---- everyone ----

Agents::Agents(asio::io_context& io, const Options& options, HttpsPool& pool, Report& report,
               std::vector<std::string> emails)
    : m_io(io)
    , m_options(options)
    , m_pool(pool)
    , m_report(report)
{
    for (std::size_t i = 0; i < emails.size(); ++i) {
        m_agents.push_back(std::make_shared<Agent>(*this, std::move(emails[i]), i + 1));
    }
    m_report.agentsWanted = m_agents.size();
}

Agents::~Agents() = default;

void Agents::start(std::function<void()> ready)
{
    m_ready = std::move(ready);
    while (m_inFlight < kParallelLogins && m_nextLogin < m_agents.size()) {
        next();
    }
}

void Agents::next()
{
    ++m_inFlight;
    m_agents[m_nextLogin++]->signIn([this](bool) {
        --m_inFlight;
        settled();
    });
}

void Agents::settled()
{
    ++m_settled;
    if (m_nextLogin < m_agents.size()) {
        next();
    }
    if (m_settled == m_agents.size() && m_ready) {
        auto ready = std::move(m_ready);
        m_ready = nullptr;
        ready();
    }
}

void Agents::stop(std::function<void()> done)
{
    if (m_agents.empty()) {
        done();
        return;
    }
    auto left = std::make_shared<std::size_t>(m_agents.size());
    auto shared = std::make_shared<std::function<void()>>(std::move(done));
    for (auto& agent : m_agents) {
        agent->stop([left, shared] {
            if (--*left == 0) {
                (*shared)();
            }
        });
    }
}

} // namespace cc::callsim
