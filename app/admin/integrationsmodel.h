#pragma once

#include "app/admin/serverlistmodel.h"

#include <QDateTime>
#include <QJsonObject>
#include <QMap>
#include <QStringList>
#include <QVariantList>
#include <QVariantMap>
#include <QtQml/qqmlregistration.h>

#include <optional>

class QNetworkReply;

namespace cc::app {

// The organisation's outside providers for its admins (GET /v1/admin/integrations): one row per
// provider the server knows (Shopify, Square, Google Calendar), connected or not, with its
// status, last error, when it was last checked, whether it is on, its settings and which of the
// organisation's stores it is linked to. Actions: save (PUT: settings, credentials, store links,
// on/off), test (the server asks the provider for real) and remove (DELETE), one at a time:
// `busy` names the provider being worked on, `message` says how the last action went in words
// for the admin. Credentials go to the server and never come back. QML creates it and sets
// `session`.
class IntegrationsModel : public ServerListModel {
    Q_OBJECT
    QML_ELEMENT

    Q_PROPERTY(QString busy READ busy NOTIFY busyChanged)
    Q_PROPERTY(QString message READ message NOTIFY messageChanged)
    Q_PROPERTY(QString messageProvider READ messageProvider NOTIFY messageChanged)
    Q_PROPERTY(bool messageIsError READ messageIsError NOTIFY messageChanged)

public:
    enum Role {
        ProviderRole = Qt::UserRole + 1, // "shopify", "square", "google_calendar"
        NameRole,                        // "Shopify"
        PurposeRole,                     // what it does for the organisation, one sentence
        ConnectedRole,                   // the server holds settings and credentials for it
        EnabledRole,                     // QML "isOn" (an Item's `enabled` is taken)
        StatusRole,                      // "not_connected", "off", "untested", "ok", "failing"
        StatusTextRole, // "Not connected", "Off", "Not tested yet", "Working", "Failing"
        LastErrorRole,
        CheckedAtRole, // invalid when never checked
        UpdatedAtRole,
        SettingsRole,         // name -> value, as saved
        SettingFieldsRole,    // [{name, label, placeholder, required, hint}] for the form
        CredentialFieldsRole, // [{name, label, saved}]: saved ones may be left empty to keep
        LocationsRole,        // store id -> the provider's id of it
        LinkedCountRole,
        LocationHintRole, // what a store link looks like at this provider
    };
    Q_ENUM(Role)

    struct Row {
        QString provider;
        bool connected = false;
        bool enabled = false;
        QString status; // untested, ok, failing (empty when not connected)
        QString lastError;
        QDateTime checkedAt;
        QDateTime updatedAt;
        QVariantMap settings;
        QStringList credentialsSet;
        QMap<QString, QString> locations;
        bool operator==(const Row&) const = default;
    };

    // What save() sends, or why it cannot (words for the admin; the body is then empty).
    struct Patch {
        QJsonObject body;
        QString error;
    };

    using ServerListModel::ServerListModel;

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    QString busy() const { return m_busy; }
    QString message() const { return m_message; }
    QString messageProvider() const { return m_messageProvider; }
    bool messageIsError() const { return m_messageIsError; }

    void reload() override;
    // Saves a provider's settings (empty ones take the server's default), credentials (all of
    // them, or none to keep the saved ones), store links (store id -> the provider's id; an
    // empty id unlinks the store; `locations` null or undefined keeps the saved links) and
    // whether it is on. The input is checked here first; what is wrong is said in `message`.
    Q_INVOKABLE void save(const QString& provider, const QVariantMap& settings,
                          const QVariantMap& credentials, const QVariant& locations, bool enabled);
    Q_INVOKABLE void test(const QString& provider);
    Q_INVOKABLE void remove(const QString& provider);
    Q_INVOKABLE int rowOf(const QString& provider) const;

    // The providers, in the order they are listed.
    static QStringList providers();
    // The server's answer, validated and bounded: a row for every provider (the ones it does not
    // list are not connected; ones this app does not know are left out); nothing for a body that
    // is not a list of integrations.
    static std::optional<QList<Row>> parse(const QByteArray& body);
    // The PUT body for save(), checked as the server checks it, with `current` the provider's
    // row as last loaded (nullptr: not known).
    static Patch makePatch(const Row* current, const QString& provider, const QVariantMap& settings,
                           const QVariantMap& credentials, const QVariant& locations, bool enabled);
    // Takes rows in (what reload() does with the server's answer; demos and tests give theirs).
    void setRows(QList<Row> rows);

Q_SIGNALS:
    void busyChanged();
    void messageChanged();

private:
    // Starts an action on `provider`: false (and says why) when another one runs.
    bool begin(const QString& provider);
    // False (and the action ends) when there was no request to send.
    bool sent(const QString& provider, QNetworkReply* reply);
    void finish();
    void setMessage(const QString& provider, const QString& message, bool isError);

    QList<Row> m_rows;
    QString m_busy;
    QString m_message;
    QString m_messageProvider;
    bool m_messageIsError = false;
};

} // namespace cc::app
