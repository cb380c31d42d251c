#pragma once

#include <pqxx/connection>

#include <string>
#include <vector>

namespace cc::test {

// The first column of the first row of `sql` as text ("" for no row or NULL).
std::string scalar(pqxx::connection& conn, const std::string& sql);

// Where any of `needles` is written in the database: every row of every table of the public schema
// read as text. One "<table> holds <needle>" per find; empty when none is anywhere.
std::vector<std::string> findInEveryTable(pqxx::connection& conn,
                                          const std::vector<std::string>& needles);

// A throwaway PostgreSQL database on the test cluster (CALLCOMMANDER_TEST_PG, set by
// scripts/test.sh), created empty and dropped again by the destructor.
class TestDatabase {
public:
    TestDatabase();
    ~TestDatabase();
    TestDatabase(const TestDatabase&) = delete;
    TestDatabase& operator=(const TestDatabase&) = delete;

    const std::string& name() const { return m_name; }
    std::string conninfo() const; // connects to this database

    // The cluster's maintenance connection string; throws with a clear message when unset.
    static std::string clusterConninfo();

private:
    std::string m_name;
};

} // namespace cc::test
