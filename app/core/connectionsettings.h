#pragma once

#include <QString>
#include <QUrl>

namespace cc::app {

// Where this installation connects, and its stable device id. A small typed wrapper around
// QSettings, one concern only.
class ConnectionSettings {
public:
    static QUrl defaultServerUrl() { return QUrl(QStringLiteral("wss://127.0.0.1:8443/ws")); }

    QUrl serverUrl() const;
    void setServerUrl(const QUrl& url);

    // A PEM file of extra certificate authorities to trust (development or on-premises CA).
    QString caCertificateFile() const;
    void setCaCertificateFile(const QString& path);

    // Remembered between runs so a tablet's person only types their password.
    QString organisation() const;
    void setOrganisation(const QString& organisation);
    QString email() const;
    void setEmail(const QString& email);

    // Generated on first use and kept: the server tells devices apart by it.
    QString deviceId();
};

} // namespace cc::app
