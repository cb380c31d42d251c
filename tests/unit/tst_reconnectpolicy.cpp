#include "app/core/reconnectpolicy.h"

#include <QTest>

using cc::app::ReconnectPolicy;
using std::chrono::milliseconds;

class TestReconnectPolicy : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void ceilingDoublesUpToMaximum()
    {
        ReconnectPolicy p({milliseconds(500), milliseconds(4000), milliseconds(100)},
                          [] { return 0.999; });
        QCOMPARE(p.nextDelay(), milliseconds(499));
        QCOMPARE(p.nextDelay(), milliseconds(999));
        QCOMPARE(p.nextDelay(), milliseconds(1998));
        QCOMPARE(p.nextDelay(), milliseconds(3996));
        QCOMPARE(p.nextDelay(), milliseconds(3996)); // capped
        QCOMPARE(p.attempts(), 5);
    }

    void jitterSpreadsDelays()
    {
        double r = 0.0;
        ReconnectPolicy p({milliseconds(1000), milliseconds(8000), milliseconds(100)},
                          [&] { return r; });
        r = 0.5;
        QCOMPARE(p.nextDelay(), milliseconds(500));
        r = 0.25;
        QCOMPARE(p.nextDelay(), milliseconds(500)); // 0.25 * 2000
    }

    void neverBelowMinimum()
    {
        ReconnectPolicy p({milliseconds(500), milliseconds(4000), milliseconds(100)},
                          [] { return 0.0; });
        QCOMPARE(p.nextDelay(), milliseconds(100));
    }

    void resetStartsOver()
    {
        ReconnectPolicy p({milliseconds(500), milliseconds(30000), milliseconds(100)},
                          [] { return 0.999; });
        for (int i = 0; i < 6; ++i) {
            p.nextDelay();
        }
        QVERIFY(p.ceiling() > milliseconds(500));
        p.reset();
        QCOMPARE(p.attempts(), 0);
        QCOMPARE(p.ceiling(), milliseconds(500));
        QCOMPARE(p.nextDelay(), milliseconds(499));
    }

    void badRandomIsClamped()
    {
        ReconnectPolicy p({milliseconds(500), milliseconds(4000), milliseconds(100)},
                          [] { return 7.0; });
        QCOMPARE(p.nextDelay(), milliseconds(500));
    }
};

QTEST_APPLESS_MAIN(TestReconnectPolicy)
#include "tst_reconnectpolicy.moc"
