#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace cc::server::db {

// LISTENs on PostgreSQL notification channels on a dedicated connection and thread, and hands
// each notification to `handler` (on that thread: hand it over, do not work there). Reconnects
// with backoff when the connection drops; `onConnected` runs after every (re)connection, since
// notifications sent while disconnected are lost and the owner may need to catch up.
//
// This is how server nodes hear of changes committed through other nodes or by anything else
// that writes to the database (triggers NOTIFY on commit).
class NotificationListener {
public:
    using Handler = std::function<void(const std::string& channel, const std::string& payload)>;

    NotificationListener(std::string conninfo, std::vector<std::string> channels, Handler handler,
                         std::function<void()> onConnected = {});
    ~NotificationListener();
    NotificationListener(const NotificationListener&) = delete;
    NotificationListener& operator=(const NotificationListener&) = delete;

    void start();
    void stop(); // idempotent; returns within about half a second
    bool listening() const { return m_listening.load(); }

private:
    void run();

    const std::string m_conninfo;
    const std::vector<std::string> m_channels;
    Handler m_handler;
    std::function<void()> m_onConnected;
    std::atomic<bool> m_stopping{false};
    std::atomic<bool> m_listening{false};
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::thread m_thread;
};

} // namespace cc::server::db
