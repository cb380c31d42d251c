// Qt Quick Test runner with a QApplication (Qt Charts' ChartView needs one) and our QML
// modules linked in statically.
#include <QApplication>
#include <QQmlEngine>
#include <QQuickStyle>
#include <QtQml/QQmlExtensionPlugin>
#include <QtQuickTest/quicktest.h>

Q_IMPORT_QML_PLUGIN(CallCommanderCorePlugin)
Q_IMPORT_QML_PLUGIN(CallCommanderUiPlugin)

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
    Setup setup;
    return quick_test_main_with_setup(argc, argv, "callcommander_qml", CC_QML_TEST_DIR, &setup);
}

#include "tst_qml.moc"
