#include "server/db/listener.h"

#include "server/ops/log.h"

#include <pqxx/pqxx>

#include <memory>

namespace cc::server::db {
namespace {

class Receiver : public pqxx::notification_receiver {
public:
    Receiver(pqxx::connection& conn, const std::string& channel,
             const NotificationListener::Handler& handler)
        : pqxx::notification_receiver(conn, channel)
        , m_handler(handler)
    {}

    void operator()(const std::string& payload, int /*backendPid*/) override
    {
        m_handler(channel(), payload);
    }

private:
    const NotificationListener::Handler& m_handler;
};

} // namespace

NotificationListener::NotificationListener(std::string conninfo, std::vector<std::string> channels,
                                           Handler handler, std::function<void()> onConnected)
    : m_conninfo(std::move(conninfo))
    , m_channels(std::move(channels))
    , m_handler(std::move(handler))
    , m_onConnected(std::move(onConnected))
{}

NotificationListener::~NotificationListener()
{
    stop();
}

void NotificationListener::start()
{
    m_thread = std::thread([this] { run(); });
}

void NotificationListener::stop()
{
    {
        const std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_all();
    if (m_thread.joinable()) {
        m_thread.join();
    }
}

void NotificationListener::run()
{
    auto delay = std::chrono::milliseconds(250);
    while (!m_stopping) {
        try {
            pqxx::connection conn(m_conninfo);
            std::vector<std::unique_ptr<Receiver>> receivers;
            for (const auto& channel : m_channels) {
                receivers.push_back(std::make_unique<Receiver>(conn, channel, m_handler));
            }
            conn.get_notifs(); // make the LISTENs take effect before we say we are listening
            m_listening = true;
            delay = std::chrono::milliseconds(250);
            if (m_onConnected) {
                m_onConnected();
            }
            while (!m_stopping) {
                conn.await_notification(0, 500'000); // wakes for notifications or every 0.5 s
            }
            m_listening = false;
            return;
        } catch (const std::exception& e) {
            m_listening = false;
            if (m_stopping) {
                return;
            }
            log::warn("db", std::string("notification listener: ") + e.what() + "; retrying in " +
                                std::to_string(delay.count()) + " ms");
        }
        std::unique_lock lock(m_mutex);
        if (m_wake.wait_for(lock, delay, [this] { return m_stopping.load(); })) {
            return;
        }
        delay = std::min(delay * 2, std::chrono::milliseconds(10'000));
    }
}

} // namespace cc::server::db
