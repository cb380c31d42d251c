// Qt Quick Test runner with a QApplication (Qt Charts' ChartView needs one) and our QML
// modules linked in statically.
//
// Pages that show the offline cache get a demo one through the `DemoData` singleton (module
// CallCommander.TestData): caches written before the tests start, opened by SyncService instances
// of their own, so the app's `Sync` singleton stays as a fresh install has it. Screenshots go to
// `screenshotFolder` (qml-screenshots/ in the working directory, where ctest runs it: the build's
// tests/ folder).
#include "app/net/serverconnection.h"
#include "app/sync/syncservice.h"
#include "tests/qml/democache.h"

#include <QApplication>
#include <QDir>
#include <QQmlEngine>
#include <QQuickStyle>
#include <QTemporaryDir>
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
    Q_PROPERTY(QString screenshotFolder READ screenshotFolder CONSTANT)

public:
    DemoData(cc::app::SyncService* staff, cc::app::SyncService* manager,
             cc::app::SyncService* wrapUp, cc::app::SyncService* onCall, QString caches,
             cc::test::DemoPeople people, QString screenshots)
        : m_staff(staff)
        , m_manager(manager)
        , m_wrapUp(wrapUp)
        , m_onCall(onCall)
        , m_caches(std::move(caches))
        , m_people(std::move(people))
        , m_screenshots(std::move(screenshots))
    {}

    cc::app::SyncService* staffSync() const { return m_staff; }
    cc::app::SyncService* managerSync() const { return m_manager; }
    cc::app::SyncService* wrapUpSync() const { return m_wrapUp; }
    cc::app::SyncService* onCallSync() const { return m_onCall; }
    QString screenshotFolder() const { return m_screenshots; }

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
            m_onCall->start(m_caches, m_people.organisation, m_people.onCall);
        }
        return failure;
    }

    cc::app::SyncService* m_staff;
    cc::app::SyncService* m_manager;
    cc::app::SyncService* m_wrapUp;
    cc::app::SyncService* m_onCall;
    QString m_caches;
    cc::test::DemoPeople m_people;
    QString m_screenshots;
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
    staffSync.start(caches.path(), people.organisation, people.staff);
    managerSync.start(caches.path(), people.organisation, people.manager);
    wrapUpSync.start(caches.path(), people.organisation, people.wrapUp);
    onCallSync.start(caches.path(), people.organisation, people.onCall);
    const QString screenshots = QDir::current().absoluteFilePath(QStringLiteral("qml-screenshots"));
    QDir().mkpath(screenshots);
    DemoData demo(&staffSync, &managerSync, &wrapUpSync, &onCallSync, caches.path(), people,
                  screenshots);
    qmlRegisterSingletonInstance("CallCommander.TestData", 1, 0, "DemoData", &demo);

    Setup setup;
    return quick_test_main_with_setup(argc, argv, "callcommander_qml", CC_QML_TEST_DIR, &setup);
}

#include "tst_qml.moc"
