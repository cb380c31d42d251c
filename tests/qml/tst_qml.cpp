// Qt Quick Test runner with a QApplication (Qt Charts' ChartView needs one) and our QML
// modules linked in statically.
//
// Pages that show the offline cache get a demo one through the `DemoData` singleton (module
// CallCommander.TestData): caches written before the tests start, opened by SyncService instances
// of their own, so the app's `Sync` singleton stays as a fresh install has it. Screenshots go to
// `screenshotFolder` (qml-screenshots/ in the working directory, where ctest runs it: the build's
// tests/ folder).
#include "app/admin/integrationsmodel.h"
#include "app/analytics/analyticsfeed.h"
#include "app/analytics/analyticsreport.h"
#include "app/analytics/heatmapmodel.h"
#include "app/models/appointmentbooking.h"
#include "app/models/stockcheck.h"
#include "app/net/serverconnection.h"
#include "app/sync/syncservice.h"
#include "tests/qml/demoanalytics.h"
#include "tests/qml/democache.h"

#include <QApplication>
#include <QDateTime>
#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QQmlEngine>
#include <QQuickStyle>
#include <QTemporaryDir>
#include <QTimeZone>
#include <QtQml/QQmlExtensionPlugin>
#include <QtQuickTest/quicktest.h>

#include <cstdio>

Q_IMPORT_QML_PLUGIN(CallCommanderCorePlugin)
Q_IMPORT_QML_PLUGIN(CallCommanderUiPlugin)

class DemoData : public QObject {
    Q_OBJECT
    Q_PROPERTY(cc::app::SyncService* staffSync READ staffSync CONSTANT)
    Q_PROPERTY(cc::app::SyncService* managerSync READ managerSync CONSTANT)
    Q_PROPERTY(cc::app::SyncService* wrapUpSync READ wrapUpSync CONSTANT)
    Q_PROPERTY(cc::app::SyncService* onCallSync READ onCallSync CONSTANT)
    Q_PROPERTY(cc::app::SyncService* bookingSync READ bookingSync CONSTANT)
    Q_PROPERTY(QString screenshotFolder READ screenshotFolder CONSTANT)
    // The organisation's integrations as an admin sees them (Shopify working, Google Calendar
    // failing, Square not connected), and two stock checks with the server's answers.
    Q_PROPERTY(cc::app::IntegrationsModel* integrations READ integrations CONSTANT)
    Q_PROPERTY(cc::app::StockCheck* stockAnswer READ stockAnswer CONSTANT)
    Q_PROPERTY(cc::app::StockCheck* stockFailure READ stockFailure CONSTANT)
    Q_PROPERTY(QString mainStreet READ mainStreet CONSTANT)
    Q_PROPERTY(QString riverside READ riverside CONSTANT)
    Q_PROPERTY(QString carmen READ carmen CONSTANT)
    // The dashboards' figures: live updates of Main Street, Harbour Point and the organisation
    // (as if just received), the same remembered from three minutes ago (the device offline),
    // and the server's answers for the reports.
    Q_PROPERTY(cc::app::AnalyticsFeed* analytics READ analytics CONSTANT)
    Q_PROPERTY(cc::app::AnalyticsFeed* offlineAnalytics READ offlineAnalytics CONSTANT)
    Q_PROPERTY(cc::app::AnalyticsReport* managerTrend READ managerTrend CONSTANT)
    Q_PROPERTY(cc::app::AnalyticsReport* storeRanking READ storeRanking CONSTANT)
    Q_PROPERTY(cc::app::AnalyticsReport* regionRanking READ regionRanking CONSTANT)
    Q_PROPERTY(cc::app::AnalyticsReport* executiveTrend READ executiveTrend CONSTANT)
    Q_PROPERTY(cc::app::AnalyticsHeatMap* heatMap READ heatMap CONSTANT)

public:
    DemoData(cc::app::SyncService* staff, cc::app::SyncService* manager,
             cc::app::SyncService* wrapUp, cc::app::SyncService* onCall,
             cc::app::SyncService* booking, QString caches, cc::test::DemoPeople people,
             QString screenshots)
        : m_staff(staff)
        , m_manager(manager)
        , m_wrapUp(wrapUp)
        , m_onCall(onCall)
        , m_booking(booking)
        , m_caches(std::move(caches))
        , m_people(std::move(people))
        , m_screenshots(std::move(screenshots))
    {
        const QString checked =
            QDateTime::currentDateTimeUtc().addSecs(-25 * 60).toString(Qt::ISODate);
        const QJsonObject shopify{
            {"provider", "shopify"},
            {"enabled", true},
            {"settings", QJsonObject{{"base_url", "https://northwind-outfitters.myshopify.com"},
                                     {"api_version", "2024-07"}}},
            {"credentials_set", QJsonArray{"access_token"}},
            {"status", "ok"},
            {"last_error", ""},
            {"checked_at", checked},
            {"updated_at", checked},
            {"locations", QJsonObject{{m_people.mainStreet, "gid://shopify/Location/1"},
                                      {m_people.harbour, "gid://shopify/Location/2"}}}};
        const QJsonObject google{
            {"provider", "google_calendar"},
            {"enabled", true},
            {"settings", QJsonObject{{"client_id", "8812-northwind.apps.googleusercontent.com"},
                                     {"token_url", "https://oauth2.googleapis.com/token"},
                                     {"calendar_url", "https://www.googleapis.com/calendar/v3"}}},
            {"credentials_set", QJsonArray{"client_secret", "refresh_token"}},
            {"status", "failing"},
            {"last_error", "Google refused the refresh token (invalid_grant): reconnect Google "
                           "Calendar"},
            {"checked_at", checked},
            {"updated_at", checked},
            {"locations", QJsonObject{{m_people.mainStreet, "main-street@northwind.example"}}}};
        const auto rows = cc::app::IntegrationsModel::parse(
            QJsonDocument(QJsonObject{{"integrations", QJsonArray{shopify, google}}}).toJson());
        if (rows) {
            m_integrations.setRows(*rows);
        }
        m_stockAnswer.setStoreId(m_people.mainStreet);
        m_stockAnswer.setItem(QStringLiteral("rain jacket"));
        m_stockAnswer.setColours({QStringLiteral("blue")});
        const auto line = [](const char* variant, int available, bool here) {
            return QJsonObject{{"product", "Trailmaster Rain Jacket"},
                               {"variant", variant},
                               {"sku", QStringLiteral("TRJ-%1").arg(
                                           QString::fromLatin1(variant)
                                               .toUpper()
                                               .remove(QLatin1Char(' '))
                                               .replace(QLatin1Char('/'), QLatin1Char('-')))},
                               {"available", available},
                               {"stocked_here", here}};
        };
        m_stockAnswer.takeAnswer(
            200,
            QJsonDocument(
                QJsonObject{
                    {"store_id", m_people.mainStreet},
                    {"provider", "shopify"},
                    {"truncated", false},
                    {"summary", "Yes, at Main Street we have 2 of the Trailmaster "
                                "Rain Jacket in Blue / S, and 7 of the Trailmaster "
                                "Rain Jacket in Blue / M."},
                    {"lines", QJsonArray{line("Blue / L", 0, true), line("Blue / S", 2, true),
                                         line("Blue / M", 7, true), line("Blue / XL", 0, false)}}})
                .toJson());
        m_stockFailure.setItem(QStringLiteral("tent"));
        m_stockFailure.takeAnswer(
            503, R"({"error":"unavailable","message":"Shopify: HTTP 503 after 3 attempts"})");

        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        m_analytics.take(cc::test::demoStoreToday(m_people, now));
        m_analytics.take(cc::test::demoHarbourToday(m_people, now));
        m_analytics.take(cc::test::demoOrganisationToday(now));
        const qint64 before = now - 3 * 60 * 1000;
        m_offlineAnalytics.restore(cc::test::demoStoreToday(m_people, before), before);
        const QDate today = QDate::currentDate();
        const auto fill = [&](cc::app::AnalyticsQueryModel& model, const QString& by, int days,
                              double scale = 1.0) {
            model.setFrom(today.addDays(1 - days).toString(Qt::ISODate));
            model.setTo(today.toString(Qt::ISODate));
            if (!model.takeAnswer(
                    cc::test::demoReport(by, today.addDays(1 - days), today, m_people, scale))) {
                std::fprintf(stderr, "tst_qml: the demo %s report does not read\n", qPrintable(by));
            }
        };
        m_managerTrend.setBy(QStringLiteral("day"));
        fill(m_managerTrend, QStringLiteral("day"), 14, 0.16); // one store of the chain
        m_storeRanking.setSortRole(QStringLiteral("serviceLevel"));
        fill(m_storeRanking, QStringLiteral("store"), 30);
        m_regionRanking.setBy(QStringLiteral("region"));
        m_regionRanking.setSortRole(QStringLiteral("serviceLevel"));
        fill(m_regionRanking, QStringLiteral("region"), 30);
        m_executiveTrend.setBy(QStringLiteral("day"));
        fill(m_executiveTrend, QStringLiteral("day"), 30);
        fill(m_heatMap, QStringLiteral("weekday_hour"), 30);
    }

    cc::app::SyncService* staffSync() const { return m_staff; }
    cc::app::SyncService* managerSync() const { return m_manager; }
    cc::app::SyncService* wrapUpSync() const { return m_wrapUp; }
    cc::app::SyncService* onCallSync() const { return m_onCall; }
    cc::app::SyncService* bookingSync() const { return m_booking; }
    cc::app::IntegrationsModel* integrations() { return &m_integrations; }
    cc::app::StockCheck* stockAnswer() { return &m_stockAnswer; }
    cc::app::StockCheck* stockFailure() { return &m_stockFailure; }
    QString mainStreet() const { return m_people.mainStreet; }
    QString riverside() const { return m_people.riverside; }
    QString carmen() const { return m_people.carmen; }
    QString screenshotFolder() const { return m_screenshots; }
    cc::app::AnalyticsFeed* analytics() { return &m_analytics; }
    cc::app::AnalyticsFeed* offlineAnalytics() { return &m_offlineAnalytics; }
    cc::app::AnalyticsReport* managerTrend() { return &m_managerTrend; }
    cc::app::AnalyticsReport* storeRanking() { return &m_storeRanking; }
    cc::app::AnalyticsReport* regionRanking() { return &m_regionRanking; }
    cc::app::AnalyticsReport* executiveTrend() { return &m_executiveTrend; }
    cc::app::AnalyticsHeatMap* heatMap() { return &m_heatMap; }

    // The server's news about Main Street: another caller starts waiting.
    // The hour of day now in `zone` (the screens' clocks are the stores').
    Q_INVOKABLE int hourIn(const QString& zone) const
    {
        return QDateTime::currentDateTimeUtc().toTimeZone(QTimeZone(zone.toUtf8())).time().hour();
    }
    // Moves the booking form's clock on by `hours` (0: the real clock again).
    Q_INVOKABLE void setBookingClockOffsetHours(int hours)
    {
        cc::app::AppointmentBooking::setClockOffsetForTesting(qint64{hours} * 3600 * 1000);
    }

    Q_INVOKABLE void callArrives()
    {
        auto update = cc::test::demoStoreToday(m_people, QDateTime::currentMSecsSinceEpoch());
        update.totals.offered += 1;
        update.hours[15].offered += 1;
        update.waiting += 1;
        m_analytics.take(update);
    }

    // The server's news about Jo's calls (onCallSync): his caller hangs up; a new call rings for
    // him. Written into his cache, which his service then opens again (as after a restart: what
    // shows it reads everything again). Empty on success, else why not.
    Q_INVOKABLE QString endJosCall()
    {
        return reopenAfter(cc::test::endJosCall(m_caches, m_people));
    }
    Q_INVOKABLE QString ringJo() { return reopenAfter(cc::test::ringJo(m_caches, m_people)); }

private:
    QString reopenAfter(const QString& failure)
    {
        if (failure.isEmpty()) {
            m_onCall->start(m_caches, m_people.organisation, m_people.onCall, QByteArray());
        }
        return failure;
    }

    cc::app::SyncService* m_staff;
    cc::app::SyncService* m_manager;
    cc::app::SyncService* m_wrapUp;
    cc::app::SyncService* m_onCall;
    cc::app::SyncService* m_booking;
    QString m_caches;
    cc::test::DemoPeople m_people;
    QString m_screenshots;
    cc::app::IntegrationsModel m_integrations;
    cc::app::StockCheck m_stockAnswer;
    cc::app::StockCheck m_stockFailure;
    cc::app::AnalyticsFeed m_analytics{nullptr};
    cc::app::AnalyticsFeed m_offlineAnalytics{nullptr};
    cc::app::AnalyticsReport m_managerTrend;
    cc::app::AnalyticsReport m_storeRanking;
    cc::app::AnalyticsReport m_regionRanking;
    cc::app::AnalyticsReport m_executiveTrend;
    cc::app::AnalyticsHeatMap m_heatMap;
};

class Setup : public QObject {
    Q_OBJECT

public Q_SLOTS:
    void qmlEngineAvailable(QQmlEngine* engine)
    {
        engine->addImportPath(QStringLiteral("qrc:/")); // where Qt 6.4 puts static modules
    }
};

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QQuickStyle::setStyle(QStringLiteral("Material"));

    QTemporaryDir caches;
    cc::test::DemoPeople people;
    if (const QString failure = cc::test::writeDemoCaches(caches.path(), &people);
        !caches.isValid() || !failure.isEmpty()) {
        std::fprintf(stderr, "tst_qml: the demo caches cannot be written: %s\n",
                     qPrintable(failure));
        return 1;
    }
    // Never connected: the demo caches stay as written.
    cc::app::ServerConnection offline(nullptr);
    offline.setDeviceId(QStringLiteral("demo-tablet"));
    cc::app::SyncService staffSync(&offline);
    cc::app::SyncService managerSync(&offline);
    cc::app::SyncService wrapUpSync(&offline);
    cc::app::SyncService onCallSync(&offline);
    cc::app::SyncService bookingSync(&offline);
    staffSync.start(caches.path(), people.organisation, people.staff, QByteArray());
    managerSync.start(caches.path(), people.organisation, people.manager, QByteArray());
    wrapUpSync.start(caches.path(), people.organisation, people.wrapUp, QByteArray());
    onCallSync.start(caches.path(), people.organisation, people.onCall, QByteArray());
    bookingSync.start(caches.path(), people.organisation, people.booking, QByteArray());
    const QString screenshots = QDir::current().absoluteFilePath(QStringLiteral("qml-screenshots"));
    QDir().mkpath(screenshots);
    DemoData demo(&staffSync, &managerSync, &wrapUpSync, &onCallSync, &bookingSync, caches.path(),
                  people, screenshots);
    qmlRegisterSingletonInstance("CallCommander.TestData", 1, 0, "DemoData", &demo);

    Setup setup;
    return quick_test_main_with_setup(argc, argv, "callcommander_qml", CC_QML_TEST_DIR, &setup);
}

#include "tst_qml.moc"
