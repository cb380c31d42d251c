#include "tests/support/seed.h"

#include "server/auth/password.h"

#include <pqxx/pqxx>

namespace cc::test {

SeededUser seedUser(pqxx::connection& conn, const std::string& slug, const std::string& email,
                    const std::string& password, const std::string& role)
{
    pqxx::work txn(conn);
    SeededUser out;
    out.organisationId =
        txn.exec_params1("INSERT INTO organisations (id, slug, name) VALUES "
                         "(md5('org/' || $1)::uuid, $1, initcap($1)) "
                         "ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name RETURNING id::text",
                         slug)[0]
            .as<std::string>();
    out.storeId =
        txn.exec_params1(
               "INSERT INTO locations (id, organisation_id, code, name, timezone, main_phone) "
               "VALUES (md5('store/' || $1)::uuid, $2, 'S-01', 'Main Street', "
               "'America/New_York', '+12125550100') "
               "ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name RETURNING id::text",
               slug, out.organisationId)[0]
            .as<std::string>();
    out.userId =
        txn.exec_params1("INSERT INTO users (id, organisation_id, email, display_name, role, "
                         "home_location_id, password_hash) VALUES (gen_random_uuid(), $1, $2, $3, "
                         "$4, $5, $6) "
                         "RETURNING id::text",
                         out.organisationId, email, "Test " + role, role, out.storeId,
                         server::auth::hashPassword(password))[0]
            .as<std::string>();
    txn.exec_params0("INSERT INTO user_locations (user_id, location_id) VALUES ($1, $2)",
                     out.userId, out.storeId);
    txn.commit();
    return out;
}

} // namespace cc::test
