#include "server/db/database.h"

#include "server/ops/log.h"

#include <pqxx/pqxx>

namespace cc::server::db {

Database::Database(std::string conninfo, std::size_t workers, std::size_t maxQueue)
    : m_conninfo(std::move(conninfo))
    , m_maxQueue(maxQueue)
    , m_workerCount(workers)
{
    m_workers.reserve(workers);
    for (std::size_t i = 0; i < workers; ++i) {
        m_workers.emplace_back([this] { workerLoop(); });
    }
}

Database::~Database()
{
    stop();
}

void Database::submit(Job job, Failure onFailure)
{
    const char* refusal = nullptr;
    {
        const std::lock_guard lock(m_mutex);
        if (!m_stopping && m_queue.size() < m_maxQueue) {
            m_queue.push_back(Task{std::move(job), std::move(onFailure), log::context()});
            m_wake.notify_one();
            return;
        }
        refusal = m_stopping ? "database is shutting down" : "database queue is full";
    }
    onFailure(refusal);
}

void Database::stop()
{
    std::deque<Task> abandoned;
    {
        const std::lock_guard lock(m_mutex);
        if (m_stopping && m_workers.empty()) {
            return;
        }
        m_stopping = true;
        abandoned.swap(m_queue);
    }
    m_wake.notify_all();
    for (auto& t : abandoned) {
        t.onFailure("database is shutting down");
    }
    for (auto& w : m_workers) {
        if (w.joinable()) {
            w.join();
        }
    }
    m_workers.clear();
}

std::size_t Database::queued() const
{
    const std::lock_guard lock(m_mutex);
    return m_queue.size();
}

void Database::workerLoop()
{
    std::unique_ptr<pqxx::connection> conn;
    for (;;) {
        Task task;
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [this] { return m_stopping || !m_queue.empty(); });
            if (m_queue.empty()) {
                return; // stopping
            }
            task = std::move(m_queue.front());
            m_queue.pop_front();
        }
        const log::Scope scope(std::move(task.context));
        m_busy.fetch_add(1, std::memory_order_relaxed);
        try {
            if (!conn || !conn->is_open()) {
                conn = std::make_unique<pqxx::connection>(m_conninfo);
                // A runaway query must not hold a worker (and with it every job behind it).
                // Through libpqxx, which sets it again when it reconnects by itself.
                conn->set_variable("statement_timeout", "'30s'");
            }
            task.job(*conn);
        } catch (const pqxx::broken_connection& e) {
            conn.reset();
            task.onFailure(std::string("database unreachable: ") + e.what());
        } catch (const std::exception& e) {
            task.onFailure(e.what());
        }
        m_busy.fetch_sub(1, std::memory_order_relaxed);
    }
}

} // namespace cc::server::db
