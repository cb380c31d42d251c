#include "app/core/connectionsettings.h"

#include <QSettings>
#include <QUuid>

namespace cc::app {
namespace {
const QString kServerUrl = QStringLiteral("connection/serverUrl");
const QString kCaFile = QStringLiteral("connection/caCertificateFile");
const QString kDeviceId = QStringLiteral("device/id");
const QString kOrganisation = QStringLiteral("signIn/organisation");
const QString kEmail = QStringLiteral("signIn/email");
} // namespace

QUrl ConnectionSettings::serverUrl() const
{
    const QUrl url = QSettings().value(kServerUrl).toUrl();
    return url.isValid() && !url.isEmpty() ? url : defaultServerUrl();
}

void ConnectionSettings::setServerUrl(const QUrl& url)
{
    QSettings().setValue(kServerUrl, url);
}

QString ConnectionSettings::caCertificateFile() const
{
    return QSettings().value(kCaFile).toString();
}

void ConnectionSettings::setCaCertificateFile(const QString& path)
{
    QSettings().setValue(kCaFile, path);
}

QString ConnectionSettings::organisation() const
{
    return QSettings().value(kOrganisation).toString();
}

void ConnectionSettings::setOrganisation(const QString& organisation)
{
    QSettings().setValue(kOrganisation, organisation);
}

QString ConnectionSettings::email() const
{
    return QSettings().value(kEmail).toString();
}

void ConnectionSettings::setEmail(const QString& email)
{
    QSettings().setValue(kEmail, email);
}

QString ConnectionSettings::deviceId()
{
    QSettings settings;
    QString id = settings.value(kDeviceId).toString();
    if (id.isEmpty()) {
        id = QUuid::createUuid().toString(QUuid::WithoutBraces);
        settings.setValue(kDeviceId, id);
    }
    return id;
}

} // namespace cc::app
