#pragma once

#include <atomic>
#include <mutex>
#include <string>

namespace cc::server::ops {

// Whether the server may take traffic: PostgreSQL reachable and the schema migrated. Written by
// the start-up migration task, read by /readyz (which also asks the database each time).
class Readiness {
public:
    void setMigrated(int schemaVersion)
    {
        const std::lock_guard lock(m_mutex);
        m_schemaVersion = schemaVersion;
        m_problem.clear();
        m_migrated = true;
    }
    void setProblem(std::string problem)
    {
        const std::lock_guard lock(m_mutex);
        m_problem = std::move(problem);
    }
    bool migrated() const { return m_migrated.load(); }
    int schemaVersion() const
    {
        const std::lock_guard lock(m_mutex);
        return m_schemaVersion;
    }
    std::string problem() const
    {
        const std::lock_guard lock(m_mutex);
        return m_problem;
    }

private:
    mutable std::mutex m_mutex;
    std::atomic<bool> m_migrated{false};
    int m_schemaVersion = 0;
    std::string m_problem = "starting: migrations not yet applied";
};

} // namespace cc::server::ops
