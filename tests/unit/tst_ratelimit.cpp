#include "server/auth/ratelimit.h"

#include <QTest>

using cc::server::auth::RateLimiter;
using namespace std::chrono_literals;

class TestRateLimit : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void burstThenRefuse()
    {
        RateLimiter limiter({1.0, 3.0, 100});
        const auto t = RateLimiter::Clock::now();
        QVERIFY(limiter.take("ip", t).allowed);
        QVERIFY(limiter.take("ip", t).allowed);
        QVERIFY(limiter.take("ip", t).allowed);
        const auto refused = limiter.take("ip", t);
        QVERIFY(!refused.allowed);
        QCOMPARE(refused.retryAfter, 1s);
        QVERIFY(limiter.take("other", t).allowed); // keys are independent
    }

    void refillsOverTime()
    {
        RateLimiter limiter({0.5, 1.0, 100}); // one per two seconds
        const auto t = RateLimiter::Clock::now();
        QVERIFY(limiter.take("acct", t).allowed);
        const auto refused = limiter.take("acct", t);
        QVERIFY(!refused.allowed);
        QCOMPARE(refused.retryAfter, 2s);
        QVERIFY(!limiter.take("acct", t + 1s).allowed);
        QVERIFY(limiter.take("acct", t + 2s).allowed);
    }

    void slowRatesRoundRetryAfterUp()
    {
        RateLimiter limiter({5.0 / 60, 1.0, 100}); // five a minute
        const auto t = RateLimiter::Clock::now();
        QVERIFY(limiter.take("a", t).allowed);
        QCOMPARE(limiter.take("a", t).retryAfter, 12s);
    }

    void memoryIsBounded()
    {
        RateLimiter limiter({1.0, 2.0, 10});
        const auto t = RateLimiter::Clock::now();
        for (int i = 0; i < 10; ++i) {
            QVERIFY(limiter.take("ip-" + std::to_string(i), t).allowed);
        }
        QCOMPARE(limiter.size(), std::size_t{10});
        // Table full of recently used keys: a new key is refused rather than grow it.
        QVERIFY(!limiter.take("newcomer", t).allowed);
        QCOMPARE(limiter.size(), std::size_t{10});
        // Later the idle buckets have refilled and make room.
        QVERIFY(limiter.take("newcomer", t + 5s).allowed);
        QVERIFY(limiter.size() <= 10);
    }
};

QTEST_APPLESS_MAIN(TestRateLimit)
#include "tst_ratelimit.moc"
