#pragma once

#include <pqxx/connection_base>
#include <pqxx/transaction_base>

#include <cstdio>
#include <functional>
#include <string>
#include <utility>

// Prepared statements for the hot paths (webhooks, sync pushes and fan-out, session checks):
// each connection of the pool parses and plans a statement once and runs it by name after.
//
// The name is derived from the SQL text, so call sites keep their SQL where it is read. Only
// for SQL that is fixed in the code (parameters as $n): a statement built from varying text
// would define a new statement per variant. Two texts with the same name cannot run the wrong
// SQL: libpqxx refuses a second definition under one name (pqxx::argument_error).
namespace cc::server::db {

inline std::string statementName(const std::string& sql)
{
    char name[24];
    std::snprintf(name, sizeof name, "cc_%016zx", std::hash<std::string>{}(sql));
    return name;
}

template <typename... Args>
pqxx::result execPrepared(pqxx::transaction_base& tx, const std::string& sql, Args&&... args)
{
    const std::string name = statementName(sql);
    tx.conn().prepare(name, sql); // once per connection; after that a lookup
    return tx.exec_prepared(name, std::forward<Args>(args)...);
}

template <typename... Args>
pqxx::row execPrepared1(pqxx::transaction_base& tx, const std::string& sql, Args&&... args)
{
    const std::string name = statementName(sql);
    tx.conn().prepare(name, sql);
    return tx.exec_prepared1(name, std::forward<Args>(args)...);
}

} // namespace cc::server::db
