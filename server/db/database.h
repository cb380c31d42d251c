#pragma once

#include "server/ops/log.h"

#include <pqxx/connection>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace cc::server::db {

// A fixed set of worker threads, each owning one PostgreSQL connection (libpqxx connections
// belong to one thread). Network threads never touch the database: they submit a job and get
// the answer back through the job's own callback, which runs on a database thread and must only
// hand the result over (post it to the caller's executor).
//
// Connections open lazily and reopen after a failure, so the server starts and reports "not
// ready" while PostgreSQL is down instead of refusing to start.
class Database {
public:
    using Job = std::function<void(pqxx::connection&)>;
    using Failure = std::function<void(const std::string& reason)>;

    Database(std::string conninfo, std::size_t workers, std::size_t maxQueue);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    // Queues `job`. When the job cannot run (queue full, shutting down, no connection, or it
    // threw), `onFailure` is called instead (on the caller's thread for a full queue, else on a
    // database thread) with a reason fit for a log; the job's partial transaction is rolled back.
    void submit(Job job, Failure onFailure);

    // Finishes queued jobs' failure callbacks and joins the workers. Idempotent.
    void stop();

    std::size_t queued() const;
    std::size_t workers() const { return m_workerCount; }
    std::size_t busy() const { return m_busy.load(std::memory_order_relaxed); }

private:
    struct Task {
        Job job;
        Failure onFailure;
        log::Context context; // the submitter's, for the job's log lines
    };
    void workerLoop();

    const std::string m_conninfo;
    const std::size_t m_maxQueue;
    const std::size_t m_workerCount;
    std::atomic<std::size_t> m_busy{0};
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<Task> m_queue;
    bool m_stopping = false;
    std::vector<std::thread> m_workers;
};

} // namespace cc::server::db
