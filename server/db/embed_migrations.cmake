# Writes a C++ source holding every server/db/migrations/NNNN_name.sql, so the server binary
# carries its schema and a package needs no extra files. Run at build time by CMake:
#   cmake -DMIGRATIONS_DIR=... -DOUTPUT=... -P embed_migrations.cmake
file(GLOB sql_files "${MIGRATIONS_DIR}/*.sql")
list(SORT sql_files)
set(entries "")
set(last_version 0)
foreach(sql_file IN LISTS sql_files)
    get_filename_component(file_name "${sql_file}" NAME)
    if(NOT file_name MATCHES "^([0-9][0-9][0-9][0-9])_([a-z0-9_]+)\\.sql$")
        message(FATAL_ERROR "migration file name must be NNNN_lower_snake.sql: ${file_name}")
    endif()
    math(EXPR version "${CMAKE_MATCH_1}")
    set(name "${CMAKE_MATCH_2}")
    math(EXPR expected "${last_version} + 1")
    if(NOT version EQUAL expected)
        message(FATAL_ERROR "migrations must be numbered without gaps: expected ${expected}, got ${file_name}")
    endif()
    set(last_version ${version})
    file(READ "${sql_file}" sql)
    string(FIND "${sql}" ")cc_sql\"" clash)
    if(NOT clash EQUAL -1)
        message(FATAL_ERROR "${file_name} contains the raw-string delimiter )cc_sql\"")
    endif()
    string(APPEND entries "    {${version}, \"${name}\", R\"cc_sql(${sql})cc_sql\"},\n")
endforeach()
if(last_version EQUAL 0)
    message(FATAL_ERROR "no migrations found in ${MIGRATIONS_DIR}")
endif()
set(content "// Generated from server/db/migrations by embed_migrations.cmake. Do not edit.
#include \"server/db/migrations.h\"

#include <array>

namespace cc::server::db {
namespace {
constexpr std::array<Migration, ${last_version}> kMigrations{{
${entries}}};
} // namespace

std::span<const Migration> embeddedMigrations() { return kMigrations; }
} // namespace cc::server::db
")
file(WRITE "${OUTPUT}.tmp" "${content}")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
