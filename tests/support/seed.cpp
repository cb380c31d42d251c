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

namespace {

std::string one(pqxx::work& tx, const std::string& sql)
{
    return tx.exec1(sql)[0].as<std::string>();
}

} // namespace

SeededChain seedChain(pqxx::connection& conn)
{
    pqxx::work tx(conn);
    SeededChain c;
    const auto org = [&](const std::string& slug) {
        return one(tx, "INSERT INTO organisations (id, slug, name) VALUES (gen_random_uuid(), '" +
                           slug + "', '" + slug + "') RETURNING id::text");
    };
    const auto store = [&](const std::string& orgId, const std::string& code,
                           const std::string& phone) {
        return one(tx, "INSERT INTO locations (id, organisation_id, code, name, timezone, "
                       "main_phone) VALUES (gen_random_uuid(), '" +
                           orgId + "', '" + code + "', 'Store " + code + "', 'Europe/London', '" +
                           phone + "') RETURNING id::text");
    };
    const auto user = [&](const std::string& orgId, const std::string& email,
                          const std::string& role, const std::string& home,
                          const std::vector<std::string>& stores) {
        const std::string id =
            one(tx, "INSERT INTO users (id, organisation_id, email, display_name, role, "
                    "home_location_id) VALUES (gen_random_uuid(), '" +
                        orgId + "', '" + email + "', '" + email + "', '" + role + "', " +
                        (home.empty() ? std::string("NULL") : "'" + home + "'") +
                        ") RETURNING id::text");
        for (const auto& s : stores) {
            tx.exec0("INSERT INTO user_locations (user_id, location_id) VALUES ('" + id + "', '" +
                     s + "')");
        }
        return id;
    };
    const auto customer = [&](const std::string& orgId, const std::string& name,
                              const std::string& phone) {
        const std::string id =
            one(tx, "INSERT INTO customers (id, organisation_id, display_name) VALUES "
                    "(gen_random_uuid(), '" +
                        orgId + "', '" + name + "') RETURNING id::text");
        tx.exec0("INSERT INTO customer_phones (customer_id, organisation_id, number) VALUES ('" +
                 id + "', '" + orgId + "', '" + phone + "')");
        return id;
    };
    const auto call = [&](const std::string& orgId, const std::string& storeId,
                          const std::string& customerId) {
        return one(tx, "INSERT INTO calls (id, organisation_id, location_id, customer_id, "
                       "direction, from_number, to_number, started_at, status) VALUES "
                       "(gen_random_uuid(), '" +
                           orgId + "', '" + storeId + "', '" + customerId +
                           "', 'inbound', '+442071234567', '+442079999999', now() - interval '1 "
                           "hour', 'completed') RETURNING id::text");
    };
    const auto task = [&](const std::string& orgId, const std::string& storeId,
                          const std::string& customerId) {
        return one(tx, "INSERT INTO tasks (id, organisation_id, location_id, customer_id, kind, "
                       "title, due_at) VALUES (gen_random_uuid(), '" +
                           orgId + "', '" + storeId + "', '" + customerId +
                           "', 'callback', 'Call back', now() + interval '1 day') RETURNING "
                           "id::text");
    };

    c.org = org("acme");
    c.storeA = store(c.org, "A", "+442071110000");
    c.storeB = store(c.org, "B", "+442072220000");
    c.staffA = user(c.org, "ann@acme.example", "staff", c.storeA, {c.storeA});
    c.staffA2 = user(c.org, "amir@acme.example", "staff", c.storeA, {c.storeA});
    c.staffB = user(c.org, "bea@acme.example", "staff", c.storeB, {c.storeB});
    c.manager = user(c.org, "max@acme.example", "manager", c.storeA, {c.storeA, c.storeB});
    c.admin = user(c.org, "ada@acme.example", "admin", "", {});
    c.customerA = customer(c.org, "Alice A", "+447700900001");
    c.customerB = customer(c.org, "Bob B", "+447700900002");
    c.customerAB = customer(c.org, "Carol AB", "+447700900003");
    c.callA = call(c.org, c.storeA, c.customerA);
    c.callB = call(c.org, c.storeB, c.customerB);
    call(c.org, c.storeA, c.customerAB);
    call(c.org, c.storeB, c.customerAB);
    c.taskA = task(c.org, c.storeA, c.customerA);
    c.taskB = task(c.org, c.storeB, c.customerB);

    c.rivalOrg = org("rival");
    c.rivalStore = store(c.rivalOrg, "R", "+442073330000");
    c.rivalStaff = user(c.rivalOrg, "rory@rival.example", "staff", c.rivalStore, {c.rivalStore});
    c.rivalCustomer = customer(c.rivalOrg, "Rita R", "+447700900009");
    call(c.rivalOrg, c.rivalStore, c.rivalCustomer);
    tx.commit();
    return c;
}

} // namespace cc::test
