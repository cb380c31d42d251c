#include "tests/support/testdatabase.h"

#include <pqxx/pqxx>

#include <atomic>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <unistd.h>

namespace cc::test {

std::string TestDatabase::clusterConninfo()
{
    const char* env = std::getenv("CALLCOMMANDER_TEST_PG");
    if (env == nullptr || *env == '\0') {
        throw std::runtime_error(
            "CALLCOMMANDER_TEST_PG is not set: run the tests through scripts/test.sh, which "
            "starts the test PostgreSQL cluster");
    }
    return env;
}

TestDatabase::TestDatabase()
{
    static std::atomic<int> counter{0};
    std::random_device rd;
    m_name = "cc_test_" + std::to_string(getpid()) + "_" + std::to_string(counter++) + "_" +
             std::to_string(rd() % 100000);
    pqxx::connection admin(clusterConninfo());
    pqxx::nontransaction(admin).exec0("CREATE DATABASE " + admin.quote_name(m_name));
}

TestDatabase::~TestDatabase()
{
    try {
        pqxx::connection admin(clusterConninfo());
        pqxx::nontransaction(admin).exec0("DROP DATABASE IF EXISTS " + admin.quote_name(m_name) +
                                          " WITH (FORCE)");
    } catch (const std::exception&) {
        // The cluster is throwaway too; a leftover database harms nothing.
    }
}

std::string TestDatabase::conninfo() const
{
    // libpq takes the last value of a repeated keyword.
    return clusterConninfo() + " dbname=" + m_name;
}

std::string scalar(pqxx::connection& conn, const std::string& sql)
{
    pqxx::nontransaction tx(conn);
    const auto r = tx.exec(sql);
    return r.empty() || r[0][0].is_null() ? std::string() : r[0][0].as<std::string>();
}

std::vector<std::string> findInEveryTable(pqxx::connection& conn,
                                          const std::vector<std::string>& needles)
{
    std::vector<std::string> found;
    pqxx::nontransaction tx(conn);
    for (const auto& table :
         tx.exec("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")) {
        const std::string name = table[0].as<std::string>();
        const std::string all = tx.exec("SELECT coalesce(string_agg(t::text, ' '), '') FROM " +
                                        tx.quote_name(name) + " t")[0][0]
                                    .as<std::string>();
        for (const auto& needle : needles) {
            if (all.find(needle) != std::string::npos) {
                found.push_back(name + " holds " + needle);
            }
        }
    }
    return found;
}

} // namespace cc::test
