// The app's analytics models without a server: live figures handed to the feed as the connection
// would hand them, remembered figures with their age, the historical reports and the heat map
// from the server's JSON answers. Every model runs under QAbstractItemModelTester.
#include "app/analytics/analyticsfeed.h"
#include "app/analytics/analyticsrange.h"
#include "app/analytics/analyticsreport.h"
#include "app/analytics/figuretext.h"
#include "app/analytics/heatmapmodel.h"
#include "app/analytics/liveanalytics.h"
#include "app/analytics/livestaffmodel.h"
#include "app/analytics/reportdata.h"

#include <QAbstractItemModelTester>
#include <QDateTime>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using cc::app::AnalyticsFeed;
using cc::app::AnalyticsHeatMap;
using cc::app::AnalyticsRange;
using cc::app::AnalyticsReport;
using cc::app::LiveAnalytics;
using cc::app::LiveStaffModel;

namespace {

const QString kStore = QStringLiteral("00000000-0000-4000-8000-000000000010");
const QString kOther = QStringLiteral("00000000-0000-4000-8000-000000000011");

cc::analytics::Counters counters(std::int64_t offered, std::int64_t answered, std::int64_t inSl,
                                 std::int64_t abandoned)
{
    cc::analytics::Counters c;
    c.offered = offered;
    c.answered = answered;
    c.answeredInSl = inSl;
    c.abandoned = abandoned;
    c.waitAnsweredMs = answered * 12000; // 12 s each
    c.handled = answered;
    c.talkMs = answered * 180000; // 3 min each
    c.wrapMs = answered * 20000;
    c.fcrResolved = answered;
    return c;
}

cc::protocol::AnalyticsUpdate storeUpdate(const QString& store, std::int64_t asOfMs)
{
    cc::protocol::AnalyticsUpdate u;
    u.scope = "location";
    u.key = store.toStdString();
    u.date = "2025-11-27";
    u.asOfMs = asOfMs;
    u.eventMs = asOfMs - 50;
    u.serviceLevelSeconds = 20;
    u.hours.resize(24);
    u.hours[9] = counters(4, 4, 4, 0);
    u.hours[10] = counters(6, 5, 4, 1);
    u.totals = u.hours[9];
    u.totals += u.hours[10];
    u.people = {{"user-ana", counters(0, 6, 5, 0)}, {"user-ben", counters(0, 3, 3, 0)}};
    return u;
}

QJsonObject wireRow(const QString& key, const QString& label, const cc::analytics::Counters& c)
{
    return QJsonObject{{"key", key},
                       {"label", label},
                       {"offered", qint64{c.offered}},
                       {"answered", qint64{c.answered}},
                       {"answered_in_sl", qint64{c.answeredInSl}},
                       {"abandoned", qint64{c.abandoned}},
                       {"short_abandoned", 0},
                       {"missed", qint64{c.missed}},
                       {"callbacks", qint64{c.callbacks}},
                       {"self_served", 0},
                       {"outbound", 0},
                       {"wait_answered_ms", qint64{c.waitAnsweredMs}},
                       {"handled", qint64{c.handled}},
                       {"talk_ms", qint64{c.talkMs}},
                       {"wrap_ms", qint64{c.wrapMs}},
                       {"fcr_resolved", qint64{c.fcrResolved}},
                       {"answered_elsewhere", 0},
                       {"callbacks_due", 0},
                       {"callbacks_in_target", 0},
                       {"service_level", QJsonValue::Null},
                       {"callback_rate", QJsonValue::Null}};
}

QByteArray answer(const QString& by, const QJsonArray& rows)
{
    return QJsonDocument(QJsonObject{{"from", "2025-11-01"},
                                     {"to", "2025-11-14"},
                                     {"by", by},
                                     {"serviceLevelSeconds", 20},
                                     {"generatedAtMs", 1764200000000.0},
                                     {"rows", rows},
                                     {"totals", wireRow("total", "", counters(1, 1, 1, 0))}})
        .toJson();
}

QStringList column(const QAbstractItemModel& model, int role)
{
    QStringList out;
    for (int r = 0; r < model.rowCount(); ++r) {
        out << model.data(model.index(r, 0), role).toString();
    }
    return out;
}

} // namespace

class TestAnalyticsModels : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void figuresAreWrittenTheSameEverywhere()
    {
        using namespace cc::app::figures;
        QCOMPARE(percent(std::nullopt), QStringLiteral("–"));
        QCOMPARE(percent(0.8333), QStringLiteral("83%"));
        QCOMPARE(percent(0.042), QStringLiteral("4.2%"));
        QCOMPARE(percent(0.0), QStringLiteral("0%"));
        QCOMPARE(percent(1.0), QStringLiteral("100%"));
        QCOMPARE(duration(std::nullopt), QStringLiteral("–"));
        QCOMPARE(duration(12.4), QStringLiteral("12 s"));
        QCOMPARE(duration(185), QStringLiteral("3 min 05 s"));
        QCOMPARE(duration(3725), QStringLiteral("1 h 02 min"));
        QCOMPARE(clock(42), QStringLiteral("0:42"));
        QCOMPARE(clock(725), QStringLiteral("12:05"));
        QCOMPARE(clock(3723), QStringLiteral("1:02:03"));
        QVERIFY(std::isnan(raw(std::nullopt)));
    }

    void liveFiguresFollowTheUpdates()
    {
        AnalyticsFeed feed(nullptr);
        LiveAnalytics live;
        live.setFeed(&feed);
        QVERIFY(!live.hasData());
        QCOMPARE(live.serviceLevelText(), QStringLiteral("–")); // nothing to divide by: no 0%
        QVERIFY(std::isnan(live.serviceLevel()));
        QCOMPARE(live.serviceLevelTone(), LiveAnalytics::Tone::Neutral);
        live.setStoreId(kStore);
        QCOMPARE(feed.watchedStores(), QStringList{kStore});

        QSignalSpy changed(&live, &LiveAnalytics::figuresChanged);
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        feed.take(storeUpdate(kOther, now)); // not this one's store
        QCOMPARE(changed.count(), 0);
        feed.take(storeUpdate(kStore, now));
        QCOMPARE(changed.count(), 1);
        QVERIFY(live.hasData());
        QVERIFY(!live.stale());
        QCOMPARE(live.freshnessText(), QStringLiteral("Live"));
        QCOMPARE(live.offered(), 10);
        QCOMPARE(live.answered(), 9);
        QCOMPARE(live.abandoned(), 1);
        QCOMPARE(live.answeredText(), QStringLiteral("9 / 10"));
        // The shared definitions: 8 in SL of 9 answered + 1 abandoned.
        QCOMPARE(live.serviceLevelText(), QStringLiteral("80%"));
        QCOMPARE(live.serviceLevelTone(), LiveAnalytics::Tone::Good);
        QCOMPARE(live.abandonRateText(), QStringLiteral("10%"));
        QCOMPARE(live.abandonTone(), LiveAnalytics::Tone::Fair);
        QCOMPARE(live.asaText(), QStringLiteral("12 s"));
        QCOMPARE(live.ahtText(), QStringLiteral("3 min 20 s"));
        QCOMPARE(live.fcrText(), QStringLiteral("100%"));
        QCOMPARE(live.waiting(), 0);
        QCOMPARE(live.longestWaitText(), QStringLiteral("–"));
        // The chart: a shop's day, 08 to 19, offered and answered by hour.
        QCOMPARE(live.hourLabels().size(), 12);
        QCOMPARE(live.hourLabels().first(), QStringLiteral("08"));
        QCOMPARE(live.hourlyOffered().at(1).toInt(), 4);
        QCOMPARE(live.hourlyOffered().at(2).toInt(), 6);
        QCOMPARE(live.hourlyAnswered().at(2).toInt(), 5);
        QCOMPARE(live.hourlyMaximum(), 6);

        // A call comes in and waits: a new update replaces the figures.
        auto next = storeUpdate(kStore, now + 1000);
        next.totals.offered += 1;
        next.hours[6] = counters(1, 0, 0, 0); // an early call widens the chart
        next.waiting = 2;
        next.oldestWaitingMs = now + 1000 - 65000;
        feed.take(next);
        QCOMPARE(changed.count(), 2);
        QCOMPARE(live.offered(), 11);
        QCOMPARE(live.waiting(), 2);
        QCOMPARE(live.longestWaitSeconds(), 65);
        QCOMPARE(live.longestWaitText(), QStringLiteral("1:05"));
        QCOMPARE(live.waitTone(), LiveAnalytics::Tone::Poor); // over three times 20 s
        QCOMPARE(live.hourLabels().first(), QStringLiteral("06"));
        // Ticks on by itself while live.
        QTRY_COMPARE_WITH_TIMEOUT(live.longestWaitSeconds(), 66, 3000);
    }

    void rememberedFiguresShowTheirAge()
    {
        AnalyticsFeed feed(nullptr);
        LiveAnalytics live;
        live.setFeed(&feed);
        live.setStoreId(kStore);
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        auto update = storeUpdate(kStore, now - 185000);
        update.waiting = 1;
        update.oldestWaitingMs = update.asOfMs - 30000;
        feed.restore(update, now - 185000);
        QVERIFY(live.hasData());
        QVERIFY(live.stale());
        QVERIFY(live.ageSeconds() >= 185);
        QVERIFY2(live.freshnessText().startsWith(QStringLiteral("As of ")),
                 qPrintable(live.freshnessText()));
        QVERIFY2(live.freshnessText().endsWith(QStringLiteral(" · 3 min ago")),
                 qPrintable(live.freshnessText()));
        // Frozen at what it was: nobody knows whether the caller still waits.
        QCOMPARE(live.longestWaitSeconds(), 30);
        QCOMPARE(live.offered(), 10); // the figures stay readable offline

        // Remembered figures never replace newer ones.
        auto older = storeUpdate(kStore, now - 600000);
        older.totals.offered = 1;
        feed.restore(older, now - 600000);
        QCOMPARE(live.offered(), 10);
        // A live one does, and is live.
        feed.take(storeUpdate(kStore, now));
        QVERIFY(!live.stale());
        QCOMPARE(live.freshnessText(), QStringLiteral("Live"));

        QCOMPARE(LiveAnalytics::describeAge(3), QStringLiteral("just now"));
        QCOMPARE(LiveAnalytics::describeAge(45), QStringLiteral("45 s ago"));
        QCOMPARE(LiveAnalytics::describeAge(3 * 3600 + 5), QStringLiteral("3 h ago"));
        QCOMPARE(LiveAnalytics::describeAge(3 * 86400), QStringLiteral("3 days ago"));
    }

    void figuresSurviveARestart()
    {
        QTemporaryDir folder;
        QVERIFY(folder.isValid());
        const QString path = AnalyticsFeed::storePath(folder.path(), "northwind", "user-ana");
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        {
            AnalyticsFeed feed(nullptr);
            feed.start(folder.path(), "northwind", "user-ana");
            feed.take(storeUpdate(kStore, now));
            feed.saveNow();
            QTRY_VERIFY(QFile::exists(path));
        }
        AnalyticsFeed feed(nullptr);
        LiveAnalytics live;
        live.setFeed(&feed);
        live.setStoreId(kStore);
        feed.start(folder.path(), "northwind", "user-ana"); // read on the disk thread
        QTRY_VERIFY(live.hasData());
        QVERIFY(live.stale()); // remembered, not live
        QCOMPARE(live.offered(), 10);
        QCOMPARE(live.people().size(), std::size_t{2});

        // Someone else signs in: they see none of it.
        AnalyticsFeed other(nullptr);
        LiveAnalytics theirs;
        theirs.setFeed(&other);
        theirs.setStoreId(kStore);
        other.start(folder.path(), "northwind", "user-ben");
        QTest::qWait(200);
        QVERIFY(!theirs.hasData());
        // Signing out forgets what is in memory.
        feed.stop();
        QVERIFY(!live.hasData());
    }

    void feedAsksForWhatScreensWatch()
    {
        AnalyticsFeed feed(nullptr);
        {
            LiveAnalytics a;
            LiveAnalytics b;
            a.setFeed(&feed);
            b.setFeed(&feed);
            a.setStoreId(kStore);
            b.setStoreId(kStore);
            QCOMPARE(feed.watchedStores(), QStringList{kStore});
            b.setStoreId(kOther);
            QCOMPARE(feed.watchedStores(), (QStringList{kStore, kOther}));
            LiveAnalytics org;
            org.setFeed(&feed);
            org.setOrganisation(true);
            QVERIFY(feed.watchesAll()); // the organisation: everything the person may see
            QVERIFY(feed.watchedStores().isEmpty());
        }
        QVERIFY(!feed.watchesAll());
        QVERIFY(feed.watchedStores().isEmpty());

        // The organisation's totals arrive under their own scope.
        LiveAnalytics org;
        org.setFeed(&feed);
        org.setOrganisation(true);
        cc::protocol::AnalyticsUpdate total;
        total.scope = "organisation";
        total.key = "org-1";
        total.asOfMs = QDateTime::currentMSecsSinceEpoch();
        total.totals = counters(40, 38, 30, 2);
        feed.take(total);
        QCOMPARE(org.offered(), 40);
        QCOMPARE(org.hourLabels().size(), 12); // no hours: an empty shop's day
        QCOMPARE(org.hourlyMaximum(), 0);
    }

    void staffTableJoinsPeopleAndFollowsUpdates()
    {
        AnalyticsFeed feed(nullptr);
        LiveAnalytics live;
        live.setFeed(&feed);
        live.setStoreId(kStore);
        LiveStaffModel staff;
        QAbstractItemModelTester tester(&staff,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        staff.setLive(&live);
        QCOMPARE(staff.rowCount(), 0);
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        feed.take(storeUpdate(kStore, now));
        QCOMPARE(staff.rowCount(), 2);
        // Most calls first; names come from the synced directory (none here).
        QCOMPARE(column(staff, LiveStaffModel::UserIdRole), (QStringList{"user-ana", "user-ben"}));
        QCOMPARE(column(staff, LiveStaffModel::NameRole),
                 (QStringList{"Someone else", "Someone else"}));
        const QModelIndex ana = staff.index(0, 0);
        QCOMPARE(staff.data(ana, LiveStaffModel::AnsweredRole).toInt(), 6);
        QCOMPARE(staff.data(ana, LiveStaffModel::ShareTextRole).toString(),
                 QStringLiteral("67%")); // 6 of the store's 9
        QCOMPARE(staff.data(ana, LiveStaffModel::AhtTextRole).toString(),
                 QStringLiteral("3 min 20 s"));
        QCOMPARE(staff.data(ana, LiveStaffModel::TalkTimeTextRole).toString(),
                 QStringLiteral("18 min 00 s"));
        const auto roles = staff.roleNames();
        QVERIFY(roles.values().contains("name"));
        QVERIFY(roles.values().contains("ahtText"));

        // Ben answers more: the order changes; then a new person answers.
        QSignalSpy reset(&staff, &QAbstractItemModel::modelReset);
        QSignalSpy changed(&staff, &QAbstractItemModel::dataChanged);
        auto next = storeUpdate(kStore, now + 1000);
        next.people[1].counters.answered = 8;
        feed.take(next);
        QCOMPARE(column(staff, LiveStaffModel::UserIdRole), (QStringList{"user-ben", "user-ana"}));
        next.people[0].counters.answered = 7; // same order: in place
        feed.take(next);
        QCOMPARE(changed.count(), 1);
        next.people.push_back({"user-sam", counters(0, 1, 1, 0)});
        feed.take(next);
        QCOMPARE(staff.rowCount(), 3);
        QCOMPARE(reset.count(), 2);
    }

    void reportReadsRanksAndCharts()
    {
        AnalyticsReport report;
        QAbstractItemModelTester tester(&report,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(report.by(), QStringLiteral("store"));
        const QJsonArray rows{wireRow(kStore, "Main Street (NE-01)", counters(100, 90, 85, 10)),
                              wireRow(kOther, "Harbour Point (NE-02)", counters(50, 40, 20, 5)),
                              wireRow("s3", "Riverside (NE-03)", counters(0, 0, 0, 0))};
        QVERIFY(!report.takeAnswer("not json"));
        QVERIFY(!report.takeAnswer(answer("day", rows))); // not this model's grouping
        QSignalSpy reportChanged(&report, &AnalyticsReport::reportChanged);
        QVERIFY(report.takeAnswer(answer("store", rows)));
        QCOMPARE(reportChanged.count(), 1);
        QCOMPARE(report.rowCount(), 3);
        QCOMPARE(report.count(), 3);
        QCOMPARE(report.serviceLevelSeconds(), 20);
        QCOMPARE(report.generatedAt().toMSecsSinceEpoch(), qint64{1764200000000});
        const QModelIndex first = report.index(0, 0);
        QCOMPARE(report.data(first, AnalyticsReport::LabelRole).toString(),
                 QStringLiteral("Main Street (NE-01)"));
        QCOMPARE(report.data(first, AnalyticsReport::OfferedRole).toInt(), 100);
        QCOMPARE(report.data(first, AnalyticsReport::ServiceLevelTextRole).toString(),
                 QStringLiteral("85%")); // 85 / (90 + 10)
        QCOMPARE(report.data(first, AnalyticsReport::AsaTextRole).toString(),
                 QStringLiteral("12 s"));
        // A store without calls has no figures, not zeros.
        const QModelIndex empty = report.index(2, 0);
        QVERIFY(std::isnan(report.data(empty, AnalyticsReport::ServiceLevelRole).toDouble()));
        QCOMPARE(report.data(empty, AnalyticsReport::ServiceLevelTextRole).toString(),
                 QStringLiteral("–"));
        QCOMPARE(report.totals().value("offered").toInt(), 1);

        // Ranked by service level: best first, the store without a figure last either way.
        report.sortBy("serviceLevel");
        QCOMPARE(report.descending(), true);
        QCOMPARE(column(report, AnalyticsReport::KeyRole), (QStringList{kStore, kOther, "s3"}));
        QCOMPARE(column(report, AnalyticsReport::RankRole), (QStringList{"1", "2", "3"}));
        report.sortBy("serviceLevel");
        QCOMPARE(report.descending(), false);
        QCOMPARE(column(report, AnalyticsReport::KeyRole), (QStringList{kOther, kStore, "s3"}));
        // By name, A to Z; by ASA, quickest first; a text column sorts by its number.
        report.sortBy("label");
        QCOMPARE(column(report, AnalyticsReport::KeyRole), (QStringList{kOther, kStore, "s3"}));
        report.sortBy("offered");
        QCOMPARE(column(report, AnalyticsReport::KeyRole), (QStringList{kStore, kOther, "s3"}));
        report.sortBy("abandonRateText");
        QCOMPARE(report.descending(), false);
        QCOMPARE(column(report, AnalyticsReport::KeyRole), (QStringList{kStore, kOther, "s3"}));
        // A new answer keeps the order asked for.
        QVERIFY(report.takeAnswer(answer("store", rows)));
        QCOMPARE(column(report, AnalyticsReport::KeyRole), (QStringList{kStore, kOther, "s3"}));

        // Trends: by day, points at each day's start, ratios in percent.
        report.setBy("day");
        QCOMPARE(report.rowCount(), 0); // another grouping: the old rows mean nothing
        report.setSortRole({});
        const QJsonArray days{wireRow("2025-11-01", "", counters(10, 10, 8, 0)),
                              wireRow("2025-11-02", "", counters(0, 0, 0, 0)),
                              wireRow("2025-11-03", "", counters(20, 15, 15, 5))};
        QVERIFY(report.takeAnswer(answer("day", days)));
        QCOMPARE(report.data(report.index(0, 0), AnalyticsReport::LabelRole).toString(),
                 QLocale().toString(QDate(2025, 11, 1), QStringLiteral("ddd d MMM")));
        const QVariantList sl = report.points("serviceLevel");
        QCOMPARE(sl.size(), 2); // the day without calls has no service level
        QCOMPARE(sl.at(0).toPointF(),
                 QPointF(static_cast<double>(QDate(2025, 11, 1).startOfDay().toMSecsSinceEpoch()),
                         80.0));
        QCOMPARE(sl.at(1).toPointF().y(), 75.0);
        QCOMPARE(report.points("offered").size(), 3);
        QCOMPARE(report.maximum("offered"), 20.0);
    }

    void reportAsksTheServerForTheRightThing()
    {
        cc::app::reports::Query q{
            QDate(2025, 11, 1), QDate(2025, 11, 14), "store", {kStore, kOther}};
        QCOMPARE(cc::app::reports::pathOf(q),
                 QStringLiteral("/v1/analytics?from=2025-11-01&to=2025-11-14&by=store&location=") +
                     kStore + "," + kOther);
        QVERIFY(cc::app::reports::pathOf(q, true).endsWith("&format=csv"));
        QVERIFY(cc::app::reports::problemWith(q).isEmpty());
        q.from = QDate(2024, 1, 1);
        QCOMPARE(cc::app::reports::problemWith(q), QStringLiteral("Choose at most 400 days."));
        q.from = QDate(2025, 11, 15);
        QCOMPARE(cc::app::reports::problemWith(q),
                 QStringLiteral("The first day is after the last day."));

        AnalyticsReport report; // no session: nothing is asked, nothing breaks
        QVERIFY(report.suggestedExportPath().endsWith(
            QStringLiteral("callcommander-stores-%1-to-%2.csv").arg(report.from(), report.to())));
        report.exportCsv({});
        QVERIFY(report.exportFailed());
        QCOMPARE(report.exportMessage(), QStringLiteral("Sign in first."));
    }

    void heatMapByWeekdayAndHour()
    {
        AnalyticsHeatMap heat;
        QAbstractItemModelTester tester(&heat,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(heat.columns(), 12); // 08 to 19
        QCOMPARE(heat.rowCount(), 7 * 12);
        QCOMPARE(heat.weekdayLabels().size(), 7);
        const QJsonArray rows{wireRow("1-13", "", counters(40, 38, 30, 2)),
                              wireRow("6-10", "", counters(10, 10, 10, 0)),
                              wireRow("7-6", "", counters(2, 1, 1, 1))};
        QVERIFY(!heat.takeAnswer(answer("store", rows)));
        QVERIFY(heat.takeAnswer(answer("weekday_hour", rows)));
        QCOMPARE(heat.firstHour(), 6); // Sunday's early call widens the grid
        QCOMPARE(heat.columns(), 14);
        QCOMPARE(heat.hourLabels().first(), QStringLiteral("06"));
        QCOMPARE(heat.maximum(), 40.0);
        const auto cell = [&](int weekday, int hour) {
            return heat.index((weekday - 1) * heat.columns() + hour - heat.firstHour(), 0);
        };
        QCOMPARE(heat.data(cell(1, 13), AnalyticsHeatMap::WeekdayRole).toInt(), 1);
        QCOMPARE(heat.data(cell(1, 13), AnalyticsHeatMap::HourRole).toInt(), 13);
        QCOMPARE(heat.data(cell(1, 13), AnalyticsHeatMap::IntensityRole).toDouble(), 1.0);
        QCOMPARE(heat.data(cell(6, 10), AnalyticsHeatMap::IntensityRole).toDouble(), 0.25);
        QCOMPARE(heat.data(cell(2, 10), AnalyticsHeatMap::ValueTextRole).toString(),
                 QStringLiteral("0"));
        heat.setMeasure("serviceLevel");
        QCOMPARE(heat.data(cell(6, 10), AnalyticsHeatMap::ValueTextRole).toString(),
                 QStringLiteral("100%"));
        // An hour without calls has no service level.
        QCOMPARE(heat.data(cell(2, 10), AnalyticsHeatMap::IntensityRole).toDouble(), -1.0);
        QCOMPARE(heat.data(cell(2, 10), AnalyticsHeatMap::ValueTextRole).toString(),
                 QStringLiteral("–"));
    }

    void rangePresetsCountBackFromToday()
    {
        AnalyticsRange range;
        const QDate today = QDate::currentDate();
        QCOMPARE(range.preset(), int{AnalyticsRange::Last14Days});
        QCOMPARE(range.to(), today.toString(Qt::ISODate));
        QCOMPARE(range.days(), 14);
        range.setPreset(AnalyticsRange::Today);
        QCOMPARE(range.from(), range.to());
        range.setPreset(AnalyticsRange::Last12Months);
        QVERIFY(range.days() >= 365 && range.days() <= 366);
        QVERIFY(range.problem().isEmpty());
        range.setFrom("2020-01-01");
        QCOMPARE(range.preset(), -1);
        QCOMPARE(range.problem(), QStringLiteral("Choose at most 400 days."));
        range.setFrom(today.addDays(1).toString(Qt::ISODate));
        QCOMPARE(range.problem(), QStringLiteral("The first day is after the last day."));
    }
};

QTEST_GUILESS_MAIN(TestAnalyticsModels)
#include "tst_analyticsmodels.moc"
