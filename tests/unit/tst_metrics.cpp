// The node's Prometheus figures: counters, label families, histograms and the text exposition
// format (https://prometheus.io/docs/instrumenting/exposition_formats/, version 0.0.4).
#include "server/ops/metrics.h"

#include <QRegularExpression>
#include <QStringList>
#include <QTest>

#include <thread>
#include <vector>

using namespace cc::server::ops;

class TestMetrics : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void countersAreExactUnderConcurrency()
    {
        Counter c;
        Histogram h;
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t) {
            threads.emplace_back([&] {
                for (int i = 0; i < 50000; ++i) {
                    c.add();
                    h.observe(0.003);
                }
            });
        }
        for (auto& t : threads) {
            t.join();
        }
        QCOMPARE(c.value(), std::uint64_t{200000});
        const auto s = h.snapshot();
        QCOMPARE(s.count, std::uint64_t{200000});
        QCOMPARE(s.cumulative[1], std::uint64_t{0});      // <= 2.5 ms
        QCOMPARE(s.cumulative[2], std::uint64_t{200000}); // <= 5 ms
        QVERIFY(std::abs(s.sum - 600.0) < 1e-6);
    }

    void histogramBucketsAreCumulativeAndInclusive()
    {
        Histogram h;
        h.observe(0.001);  // exactly on a bound: in it (le = "less or equal")
        h.observe(0.0011); // the next one
        h.observe(0.3);
        h.observe(60); // past every bound: only +Inf (the count)
        h.observe(-1); // a clock that went back counts as 0
        const auto s = h.snapshot();
        QCOMPARE(s.cumulative[0], std::uint64_t{2});  // 0.001: the 0.001 and the -1
        QCOMPARE(s.cumulative[1], std::uint64_t{3});  // 0.0025
        QCOMPARE(s.cumulative[7], std::uint64_t{3});  // 0.25
        QCOMPARE(s.cumulative[8], std::uint64_t{4});  // 0.5
        QCOMPARE(s.cumulative[11], std::uint64_t{4}); // 10
        QCOMPARE(s.count, std::uint64_t{5});
        QVERIFY(std::abs(s.sum - 60.3021) < 1e-6);
    }

    void familiesAreBounded()
    {
        CounterFamily f;
        for (int i = 0; i < 40; ++i) {
            f.add("value" + std::to_string(i));
        }
        f.add("value0", 4);
        const auto values = f.values();
        QCOMPARE(values.size(), CounterFamily::kMaxValues + 1); // and "other"
        QCOMPARE(values.at("value0"), std::uint64_t{5});
        QCOMPARE(values.at("other"), std::uint64_t{40 - CounterFamily::kMaxValues});
    }

    void exposition()
    {
        Metrics m;
        m.wsMessagesIn.add(7);
        m.routingDecisions.add("offer", 3);
        m.routingDecisions.add("voice\"mail\\\n");
        m.httpResponses[1].add(3);
        m.webhookSeconds.observe(0.02);
        m.webhookSeconds.observe(0.2);
        const QString text = QString::fromStdString(
            renderPrometheus(m, {{"devices", "Signed-in devices.", 12}, {"up", "Up.", 0.5}}));
        const QStringList lines = text.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QVERIFY(text.endsWith(QLatin1Char('\n')));
        // Every line is a comment (HELP or TYPE) or "name{labels} value".
        const QRegularExpression sample(
            QStringLiteral("^callcommander_[a-z_]+(\\{[a-z]+=\"(?:[^\"\\\\]|\\\\.)*\"\\})? "
                           "(?:[0-9.e+-]+|\\+Inf|NaN)$"));
        for (const QString& line : lines) {
            if (line.startsWith(QLatin1String("# HELP callcommander_")) ||
                line.startsWith(QLatin1String("# TYPE callcommander_"))) {
                continue;
            }
            QVERIFY2(sample.match(line).hasMatch(), qPrintable(line));
        }
        QVERIFY(
            lines.contains(QStringLiteral("# TYPE callcommander_ws_messages_in_total counter")));
        QVERIFY(lines.contains(QStringLiteral("callcommander_ws_messages_in_total 7")));
        QVERIFY(lines.contains(QStringLiteral("callcommander_ws_messages_out_total 0")));
        QVERIFY(lines.contains(
            QStringLiteral("callcommander_routing_decisions_total{action=\"offer\"} 3")));
        QVERIFY(lines.contains(QStringLiteral(
            "callcommander_routing_decisions_total{action=\"voice\\\"mail\\\\\\n\"} 1")));
        QVERIFY(lines.contains(
            QStringLiteral("# TYPE callcommander_webhook_duration_seconds histogram")));
        QVERIFY(lines.contains(
            QStringLiteral("callcommander_webhook_duration_seconds_bucket{le=\"0.01\"} 0")));
        QVERIFY(lines.contains(
            QStringLiteral("callcommander_webhook_duration_seconds_bucket{le=\"0.025\"} 1")));
        QVERIFY(lines.contains(
            QStringLiteral("callcommander_webhook_duration_seconds_bucket{le=\"0.25\"} 2")));
        QVERIFY(lines.contains(
            QStringLiteral("callcommander_webhook_duration_seconds_bucket{le=\"+Inf\"} 2")));
        QVERIFY(lines.contains(QStringLiteral("callcommander_webhook_duration_seconds_count 2")));
        QVERIFY(lines.contains(QStringLiteral("callcommander_webhook_duration_seconds_sum 0.22")));
        QVERIFY(lines.contains(QStringLiteral("# TYPE callcommander_devices gauge")));
        QVERIFY(lines.contains(QStringLiteral("callcommander_devices 12")));
        QVERIFY(
            lines.contains(QStringLiteral("callcommander_http_responses_total{code=\"2xx\"} 3")));
        QVERIFY(
            lines.contains(QStringLiteral("callcommander_http_responses_total{code=\"5xx\"} 0")));
        QVERIFY(lines.contains(QStringLiteral("callcommander_up 0.5")));
        // Every sample belongs to a family described by a TYPE line of its own name (0.0.4: the
        // sample's name, or for a histogram the name before _bucket, _sum, _count).
        for (const QString& line : lines) {
            if (line.startsWith(QLatin1Char('#'))) {
                continue;
            }
            QString family = line.section(QLatin1Char(' '), 0, 0).section(QLatin1Char('{'), 0, 0);
            for (const char* suffix : {"_bucket", "_sum", "_count"}) {
                if (family.endsWith(QLatin1String(suffix)) &&
                    text.contains(QStringLiteral("# TYPE ") +
                                  family.chopped(static_cast<int>(qstrlen(suffix))) +
                                  QStringLiteral(" histogram"))) {
                    family.chop(static_cast<int>(qstrlen(suffix)));
                }
            }
            QVERIFY2(text.contains(QStringLiteral("# TYPE ") + family + QLatin1Char(' ')),
                     qPrintable(line));
        }
        // Each family is described once.
        QCOMPARE(text.count(QStringLiteral("# TYPE callcommander_routing_decisions_total ")), 1);
    }
};

QTEST_GUILESS_MAIN(TestMetrics)
#include "tst_metrics.moc"
