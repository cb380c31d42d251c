#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>

namespace cc::server::ops {

// Whether the server may take traffic: PostgreSQL reachable and the schema migrated. Written by
// the start-up migration task and by /readyz probes, read by /readyz. Reasons are short and
// public (they are served to anyone who asks /readyz); details belong in the log.
class Readiness {
public:
    struct Probe {
        bool ok = false;
        int schemaVersion = 0;
        std::string reason; // empty when ok
        std::chrono::steady_clock::time_point at;
    };

    void setMigrated(int schemaVersion)
    {
        const std::lock_guard lock(m_mutex);
        m_schemaVersion = schemaVersion;
        m_problem.clear();
        m_migrated = true;
    }
    void setProblem(std::string publicReason)
    {
        const std::lock_guard lock(m_mutex);
        m_problem = std::move(publicReason);
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

    // The last database probe, when younger than `maxAge`: a burst of /readyz calls costs the
    // database one query, not one each.
    std::optional<Probe> recentProbe(std::chrono::steady_clock::duration maxAge) const
    {
        const std::lock_guard lock(m_mutex);
        if (!m_probe || std::chrono::steady_clock::now() - m_probe->at > maxAge) {
            return std::nullopt;
        }
        return m_probe;
    }
    void recordProbe(Probe probe)
    {
        const std::lock_guard lock(m_mutex);
        m_probe = std::move(probe);
    }

private:
    mutable std::mutex m_mutex;
    std::atomic<bool> m_migrated{false};
    int m_schemaVersion = 0;
    std::string m_problem = "starting";
    std::optional<Probe> m_probe;
};

} // namespace cc::server::ops
