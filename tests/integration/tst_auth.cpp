// Sign-in, refresh and sign-out against a real PostgreSQL: the rules that keep accounts safe.

#include "server/auth/auth_service.h"
#include "server/auth/password.h"
#include "server/db/migrations.h"
#include "tests/support/seed.h"
#include "tests/support/testdatabase.h"

#include <QTest>

#include <pqxx/pqxx>

using namespace cc::server;
using cc::test::TestDatabase;

namespace {

const std::string kPassword = "correct horse battery";

auth::TokenSigner& signer()
{
    static auth::TokenSigner s(auth::parseSigningKeys(cc::test::kTestTokenKeys).value());
    return s;
}

auth::LoginRequest request(const std::string& password = kPassword,
                           const std::string& email = "ana@example.com")
{
    return {"acme", email, password, "tablet-1", "192.0.2.10"};
}

int scalar(pqxx::connection& c, const std::string& sql)
{
    pqxx::read_transaction t(c);
    return t.exec1(sql)[0].as<int>();
}

} // namespace

class TestAuth : public QObject {
    Q_OBJECT

    // The seeded manager's sign-in `sessionId`, as their token claims it.
    bool live(const std::string& sessionId)
    {
        auth::Claims claims;
        claims.userId = m_user.userId;
        claims.organisationId = m_user.organisationId;
        claims.role = cc::domain::Role::Manager;
        claims.sessionId = sessionId;
        return auth::sessionLive(*m_conn, claims);
    }

private Q_SLOTS:
    void init()
    {
        try {
            m_db = std::make_unique<TestDatabase>();
            m_conn = std::make_unique<pqxx::connection>(m_db->conninfo());
            db::applyMigrations(*m_conn, db::embeddedMigrations());
            m_user = cc::test::seedUser(*m_conn, "acme", "ana@example.com", kPassword, "manager");
        } catch (const std::exception& e) {
            QFAIL(e.what());
        }
    }

    void cleanup()
    {
        m_conn.reset();
        m_db.reset();
    }

    void signInIssuesTokens()
    {
        const auto outcome = auth::login(*m_conn, signer(), m_settings, request());
        const auto* ok = std::get_if<auth::SignedIn>(&outcome);
        QVERIFY(ok != nullptr);
        QCOMPARE(ok->userId, m_user.userId);
        QVERIFY(ok->role == cc::domain::Role::Manager);
        QCOMPARE(ok->stores.size(), std::size_t{1});
        QCOMPARE(ok->stores.front().id, m_user.storeId);
        auto claims = signer().verify(ok->accessToken, auth::unixNow());
        QVERIFY(claims.ok());
        QCOMPARE(claims->userId, m_user.userId);
        QCOMPARE(claims->organisationId, m_user.organisationId);
        QVERIFY(live(claims->sessionId));
        QVERIFY(auth::sessionLive(*m_conn, *claims));
        // A token that claims more than the database says is not live: another organisation
        // (only the signing key could make one), or a role the person does not have (any more).
        auth::Claims otherOrganisation = *claims;
        otherOrganisation.organisationId = cc::test::scalar(
            *m_conn, "INSERT INTO organisations (id, slug, name) VALUES (gen_random_uuid(), "
                     "'elsewhere', 'Elsewhere') RETURNING id::text");
        QVERIFY(!auth::sessionLive(*m_conn, otherOrganisation));
        auth::Claims otherRole = *claims;
        otherRole.role = cc::domain::Role::Admin;
        QVERIFY(!auth::sessionLive(*m_conn, otherRole));
        // Only a hash of the refresh token is stored.
        pqxx::read_transaction t(*m_conn);
        QCOMPARE(t.exec1("SELECT count(*) FROM refresh_tokens")[0].as<int>(), 1);
        QCOMPARE(t.exec_params1("SELECT count(*) FROM refresh_tokens "
                                "WHERE token_hash = sha256(convert_to($1, 'UTF8'))",
                                ok->refreshToken)[0]
                     .as<int>(),
                 1);
        QCOMPARE(t.exec_params1("SELECT count(*) FROM refresh_tokens "
                                "WHERE position(convert_to($1, 'UTF8') IN token_hash) > 0",
                                ok->refreshToken)[0]
                     .as<int>(),
                 0);
    }

    void emailIsCaseInsensitive()
    {
        QVERIFY(std::holds_alternative<auth::SignedIn>(
            auth::login(*m_conn, signer(), m_settings, request(kPassword, "ANA@Example.com"))));
    }

    void wrongPasswordAndUnknownUserLookAlike()
    {
        QVERIFY(std::holds_alternative<auth::InvalidCredentials>(
            auth::login(*m_conn, signer(), m_settings, request("wrong password!"))));
        QVERIFY(std::holds_alternative<auth::InvalidCredentials>(
            auth::login(*m_conn, signer(), m_settings, request(kPassword, "nobody@example.com"))));
        // The same e-mail exists in another organisation with another password: each
        // organisation's accounts are their own.
        cc::test::seedUser(*m_conn, "globex", "ana@example.com", "globex password 1", "admin");
        auth::LoginRequest otherOrg = request();
        otherOrg.organisation = "globex";
        QVERIFY(std::holds_alternative<auth::InvalidCredentials>(
            auth::login(*m_conn, signer(), m_settings, otherOrg)));
        otherOrg.password = "globex password 1";
        const auto globex = auth::login(*m_conn, signer(), m_settings, otherOrg);
        QVERIFY(std::get<auth::SignedIn>(globex).organisationId != m_user.organisationId);
        // Control characters (a NUL would cut the e-mail short in the database) are refused.
        QVERIFY(std::holds_alternative<auth::InvalidCredentials>(
            auth::login(*m_conn, signer(), m_settings,
                        request(kPassword, std::string("ana@example.com\0x", 17)))));
    }

    void repeatedFailuresLockTheAccount()
    {
        for (int i = 0; i < m_settings.failuresBeforeLockout; ++i) {
            QVERIFY(std::holds_alternative<auth::InvalidCredentials>(
                auth::login(*m_conn, signer(), m_settings, request("wrong password!"))));
        }
        // Locked now: even the right password is turned away until the lock runs out.
        const auto outcome = auth::login(*m_conn, signer(), m_settings, request());
        const auto* locked = std::get_if<auth::LockedOut>(&outcome);
        QVERIFY(locked != nullptr);
        QVERIFY(locked->retryAfter.count() > 0);
        QVERIFY(locked->retryAfter <= m_settings.firstLockout);
        // Once the lock has passed, the right password works and resets the count.
        pqxx::work t(*m_conn);
        t.exec0("UPDATE users SET locked_until = now() - interval '1 second'");
        t.commit();
        QVERIFY(std::holds_alternative<auth::SignedIn>(
            auth::login(*m_conn, signer(), m_settings, request())));
        QCOMPARE(scalar(*m_conn, "SELECT failed_logins FROM users"), 0);
    }

    void lockoutDoubles()
    {
        pqxx::work t(*m_conn);
        t.exec0("UPDATE users SET failed_logins = 6");
        t.commit();
        QVERIFY(std::holds_alternative<auth::InvalidCredentials>(
            auth::login(*m_conn, signer(), m_settings, request("wrong password!"))));
        // 7th failure: 30 s * 2^2 = 120 s.
        const int seconds = scalar(
            *m_conn, "SELECT ceil(extract(epoch FROM locked_until - now()))::int FROM users");
        QVERIFY2(seconds > 110 && seconds <= 120, std::to_string(seconds).c_str());
    }

    void endlessGuessingStillLocks()
    {
        pqxx::work t(*m_conn);
        t.exec0("UPDATE users SET failed_logins = 2000");
        t.commit();
        QVERIFY(std::holds_alternative<auth::InvalidCredentials>(
            auth::login(*m_conn, signer(), m_settings, request("wrong password!"))));
        const auto outcome = auth::login(*m_conn, signer(), m_settings, request());
        const auto* locked = std::get_if<auth::LockedOut>(&outcome);
        QVERIFY(locked != nullptr);
        QVERIFY(locked->retryAfter <= m_settings.maxLockout);
        QVERIFY(locked->retryAfter > m_settings.maxLockout - std::chrono::seconds(10));
    }

    void disabledUserCannotSignIn()
    {
        pqxx::work t(*m_conn);
        t.exec0("UPDATE users SET active = false");
        t.commit();
        QVERIFY(std::holds_alternative<auth::InvalidCredentials>(
            auth::login(*m_conn, signer(), m_settings, request())));
    }

    void refreshRotatesAndDetectsReuse()
    {
        const auto first =
            std::get<auth::SignedIn>(auth::login(*m_conn, signer(), m_settings, request()));
        const auto second = auth::refresh(*m_conn, signer(), m_settings, first.refreshToken, "");
        const auto* rotated = std::get_if<auth::SignedIn>(&second);
        QVERIFY(rotated != nullptr);
        QVERIFY(rotated->refreshToken != first.refreshToken);
        const auto sid = signer().verify(rotated->accessToken, auth::unixNow())->sessionId;
        QCOMPARE(sid, signer().verify(first.accessToken, auth::unixNow())->sessionId);

        // The second token gets used; then the first comes back: it was copied. The whole
        // sign-in ends, the newest token too.
        const auto third = std::get<auth::SignedIn>(
            auth::refresh(*m_conn, signer(), m_settings, rotated->refreshToken, ""));
        const auto replay = auth::refresh(*m_conn, signer(), m_settings, first.refreshToken, "");
        QVERIFY(std::get<auth::InvalidRefresh>(replay).reuseDetected);
        QVERIFY(!live(sid));
        QVERIFY(std::holds_alternative<auth::InvalidRefresh>(
            auth::refresh(*m_conn, signer(), m_settings, third.refreshToken, "")));
        QCOMPARE(
            scalar(*m_conn,
                   "SELECT count(*) FROM audit_log WHERE action = 'session.revoked.refresh_reuse'"),
            1);
    }

    void aRetryAfterALostAnswerIsNotTheft()
    {
        const auto a =
            std::get<auth::SignedIn>(auth::login(*m_conn, signer(), m_settings, request()));
        const auto b = std::get<auth::SignedIn>(
            auth::refresh(*m_conn, signer(), m_settings, a.refreshToken, ""));
        // B never reached the app, which tries A again a few seconds later.
        const auto c = auth::refresh(*m_conn, signer(), m_settings, a.refreshToken, "");
        QVERIFY(std::holds_alternative<auth::SignedIn>(c));
        const auto sid = signer().verify(a.accessToken, auth::unixNow())->sessionId;
        QVERIFY(live(sid));
        // B was withdrawn (refused, but not as theft); C works.
        QVERIFY(!std::get<auth::InvalidRefresh>(
                     auth::refresh(*m_conn, signer(), m_settings, b.refreshToken, ""))
                     .reuseDetected);
        const auto cTokens = std::get<auth::SignedIn>(c);
        QVERIFY(std::holds_alternative<auth::SignedIn>(
            auth::refresh(*m_conn, signer(), m_settings, cTokens.refreshToken, "")));
        // Now that C has been used, A again is theft.
        QVERIFY(std::get<auth::InvalidRefresh>(
                    auth::refresh(*m_conn, signer(), m_settings, a.refreshToken, ""))
                    .reuseDetected);
        QVERIFY(!live(sid));
    }

    void lateReuseIsTheftAndAuditedOnce()
    {
        const auto a =
            std::get<auth::SignedIn>(auth::login(*m_conn, signer(), m_settings, request()));
        QVERIFY(std::holds_alternative<auth::SignedIn>(
            auth::refresh(*m_conn, signer(), m_settings, a.refreshToken, "")));
        pqxx::work t(*m_conn);
        t.exec0("UPDATE refresh_tokens SET used_at = now() - interval '1 minute' "
                "WHERE used_at IS NOT NULL");
        t.commit();
        QVERIFY(std::get<auth::InvalidRefresh>(
                    auth::refresh(*m_conn, signer(), m_settings, a.refreshToken, ""))
                    .reuseDetected);
        QVERIFY(std::get<auth::InvalidRefresh>(
                    auth::refresh(*m_conn, signer(), m_settings, a.refreshToken, ""))
                    .reuseDetected);
        QCOMPARE(scalar(*m_conn, "SELECT count(*) FROM audit_log "
                                 "WHERE action = 'session.revoked.refresh_reuse'"),
                 1);
    }

    void unknownRefreshTokenIsRefused()
    {
        QVERIFY(std::holds_alternative<auth::InvalidRefresh>(
            auth::refresh(*m_conn, signer(), m_settings, "made-up-token", "")));
        QVERIFY(std::holds_alternative<auth::InvalidRefresh>(
            auth::refresh(*m_conn, signer(), m_settings, std::string(500, 'x'), "")));
    }

    void signOutEndsTheSession()
    {
        const auto in =
            std::get<auth::SignedIn>(auth::login(*m_conn, signer(), m_settings, request()));
        const auto sid = signer().verify(in.accessToken, auth::unixNow())->sessionId;
        QVERIFY(auth::logout(*m_conn, in.refreshToken));
        QVERIFY(!live(sid));
        QVERIFY(!auth::logout(*m_conn, in.refreshToken)); // already over
        QVERIFY(std::holds_alternative<auth::InvalidRefresh>(
            auth::refresh(*m_conn, signer(), m_settings, in.refreshToken, "")));
    }

    void revokingAllSessionsOfAUser()
    {
        const auto a =
            std::get<auth::SignedIn>(auth::login(*m_conn, signer(), m_settings, request()));
        const auto b =
            std::get<auth::SignedIn>(auth::login(*m_conn, signer(), m_settings, request()));
        QCOMPARE(auth::revokeUserSessions(*m_conn, m_user.userId, "password changed"), 2);
        QVERIFY(!live(signer().verify(a.accessToken, auth::unixNow())->sessionId));
        QVERIFY(!live(signer().verify(b.accessToken, auth::unixNow())->sessionId));
    }

    void disablingAUserOrChangingThePasswordEndsTheirSessions()
    {
        // Captured by triggers, so it holds for changes made by SQL as well as by the server.
        const auto a =
            std::get<auth::SignedIn>(auth::login(*m_conn, signer(), m_settings, request()));
        const auto sidA = signer().verify(a.accessToken, auth::unixNow())->sessionId;
        {
            pqxx::work t(*m_conn);
            t.exec_params0("UPDATE users SET password_hash = $1 WHERE id = $2",
                           auth::hashPassword("a brand new password"), m_user.userId);
            t.commit();
        }
        QVERIFY(!live(sidA));

        const auto b = std::get<auth::SignedIn>(
            auth::login(*m_conn, signer(), m_settings, request("a brand new password")));
        const auto sidB = signer().verify(b.accessToken, auth::unixNow())->sessionId;
        QVERIFY(live(sidB));
        {
            pqxx::work t(*m_conn);
            t.exec0("UPDATE users SET failed_logins = 0"); // other updates revoke nothing
            t.commit();
        }
        QVERIFY(live(sidB));
        {
            pqxx::work t(*m_conn);
            t.exec0("UPDATE users SET active = false");
            t.commit();
        }
        QVERIFY(!live(sidB));
        QCOMPARE(
            scalar(*m_conn,
                   "SELECT count(*) FROM auth_sessions WHERE revoked_reason = 'user disabled'"),
            1);
        QCOMPARE(
            scalar(*m_conn,
                   "SELECT count(*) FROM auth_sessions WHERE revoked_reason = 'password changed'"),
            1);
    }

    void auditLogIsAppendOnly()
    {
        pqxx::work t(*m_conn);
        t.exec0("INSERT INTO audit_log (action) VALUES ('test.entry')");
        t.commit();
        pqxx::work u(*m_conn);
        QVERIFY_THROWS_EXCEPTION(pqxx::sql_error,
                                 u.exec0("UPDATE audit_log SET action = 'edited'"));
        u.abort();
        pqxx::work d(*m_conn);
        QVERIFY_THROWS_EXCEPTION(pqxx::sql_error, d.exec0("DELETE FROM audit_log"));
    }

private:
    std::unique_ptr<TestDatabase> m_db;
    std::unique_ptr<pqxx::connection> m_conn;
    cc::test::SeededUser m_user;
    auth::AuthSettings m_settings;
};

QTEST_GUILESS_MAIN(TestAuth)
#include "tst_auth.moc"
