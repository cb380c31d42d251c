#include "server/auth/password.h"

#include <QTest>

using namespace cc::server::auth;

class TestPassword : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void hashesAndVerifies()
    {
        const std::string hash = hashPassword("correct horse battery");
        QVERIFY(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        QVERIFY(hash.find("correct") == std::string::npos);
        QVERIFY(verifyPassword(hash, "correct horse battery"));
        QVERIFY(!verifyPassword(hash, "correct horse batterY"));
        QVERIFY(!verifyPassword(hash, ""));
    }

    void saltsDiffer()
    {
        QVERIFY(hashPassword("same password 123") != hashPassword("same password 123"));
    }

    void malformedHashesNeverVerify()
    {
        QVERIFY(!verifyPassword("", "x"));
        QVERIFY(!verifyPassword("plain-text-password", "plain-text-password"));
        QVERIFY(!verifyPassword("$argon2i$v=19$m=16,t=2,p=1$c2FsdHNhbHQ$aGFzaA", "x"));
        QVERIFY(!verifyPassword("$argon2id$garbage", "x"));
        QVERIFY(!verifyPassword(hashPassword("long enough pw"), std::string(300, 'x')));
    }

    void policy()
    {
        QVERIFY(passwordPolicyProblem("short").has_value());
        QVERIFY(!passwordPolicyProblem("ten chars!").has_value());
        QVERIFY(passwordPolicyProblem(std::string(257, 'x')).has_value());
    }
};

QTEST_APPLESS_MAIN(TestPassword)
#include "tst_password.moc"
