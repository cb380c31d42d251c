#pragma once

#include "app/auth/session.h"

#include <QAbstractListModel>
#include <QDateTime>
#include <QJsonObject>
#include <QPointer>
#include <QStringList>
#include <QVariantMap>
#include <QtQml/qqmlregistration.h>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>

class QNetworkReply;

namespace cc::app {

// An admin's answers to a customer's requests about their personal data (docs/security.md,
// "Personal data (GDPR)"): find who the request is about (GET /v1/admin/customers?q=, by a phone
// number in any form, an e-mail address or the start of a name), save everything held about them
// as a JSON file (GET …/{id}/export), or erase it (POST …/{id}/erase). Every request is
// asynchronous; the export's file is written on a worker thread. Signing out forgets the rows.
// QML creates it and sets `session`.
class PrivacyRequests : public QAbstractListModel {
    Q_OBJECT
    QML_ELEMENT

    Q_PROPERTY(cc::app::Session* session READ session WRITE setSession NOTIFY sessionChanged)
    // A search, an export or an erasure is on its way.
    Q_PROPERTY(bool busy READ busy NOTIFY busyChanged)
    // A search is on its way (the list will change).
    Q_PROPERTY(bool searching READ searching NOTIFY busyChanged)
    // What the newest search asked for; empty before the first.
    Q_PROPERTY(QString query READ query NOTIFY queryChanged)
    // The last failure in words; empty after a success.
    Q_PROPERTY(QString error READ error NOTIFY errorChanged)
    // Where the last export was saved.
    Q_PROPERTY(QString lastExportPath READ lastExportPath NOTIFY lastExportPathChanged)
    // The last erasure's answer: customerId, erasedAt (QDateTime), alreadyErased, notes, phones,
    // selfServiceTurns (removed), calls, tasks, appointments (anonymised), and
    // providerRecordingsToDelete (links of recordings to delete at the telephony provider).
    Q_PROPERTY(QVariantMap lastErasure READ lastErasure NOTIFY lastErasureChanged)
    // Where exports go unless told otherwise: the Documents folder (else the home folder).
    Q_PROPERTY(QString defaultExportFolder READ defaultExportFolder CONSTANT)

public:
    enum Role {
        CustomerIdRole = Qt::UserRole + 1,
        DisplayNameRole,
        EmailRole,
        PhonesRole,     // "+12125550123, +12125550124"
        StoresRole,     // "Main Street, Riverside"
        LastCallAtRole, // QDateTime; invalid: never called
        ErasedRole,
        ErasedAtRole, // QDateTime; invalid: not erased
    };
    Q_ENUM(Role)

    struct Row {
        QString id;
        QString displayName;
        QString email;
        QStringList phones;
        QStringList stores;
        QDateTime lastCallAt;
        QDateTime erasedAt;
    };

    explicit PrivacyRequests(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    Session* session() const { return m_session; }
    void setSession(Session* session);
    bool busy() const { return m_busy > 0; }
    bool searching() const { return m_searching; }
    QString query() const { return m_query; }
    QString error() const { return m_error; }
    QString lastExportPath() const { return m_lastExportPath; }
    QVariantMap lastErasure() const { return m_lastErasure; }
    static QString defaultExportFolder();

    // Finds the customers matching `q`; an answer to an older search is dropped.
    Q_INVOKABLE void search(const QString& q);
    // Saves everything held about the customer to `<folder>/customer-<id>-<UTC date>.json`
    // (an empty folder: defaultExportFolder); ends in exported() or failed().
    Q_INVOKABLE void exportCustomer(const QString& customerId, const QString& folder);
    // Erases the customer's personal data on the server, and so on every device at its next
    // sync; ends in erased() (the row then shows the customer as erased) or failed().
    Q_INVOKABLE void erase(const QString& customerId);
    // The row of a customer, or -1.
    Q_INVOKABLE int rowOf(const QString& customerId) const;

    // The server's answers, validated; nothing for a body that is not one.
    static std::optional<QList<Row>> parse(const QByteArray& body);
    static std::optional<QVariantMap> parseErasure(const QByteArray& body);
    // The file an export of `customerId` made on `day` is saved as, in `folder`.
    static QString exportFileName(const QString& customerId, QDate day);

Q_SIGNALS:
    void sessionChanged();
    void busyChanged();
    void queryChanged();
    void errorChanged();
    void lastExportPathChanged();
    void lastErasureChanged();
    void exported(const QString& path);
    void erased(const QVariantMap& result);
    void failed(const QString& message);

private:
    // Sends the request (null: nobody signed in), counts it as busy, and hands the status and the
    // body (at most `limit` bytes; nullopt when larger) to `done` unless the sign-in changed.
    void send(QNetworkReply* reply, qint64 limit,
              std::function<void(int, const std::optional<QByteArray>&)> done);
    void fail(const QString& message);
    void clearRows();
    void setError(const QString& error);
    void setSearching(bool searching);
    void forget();
    void onSessionState();
    static QString describe(int status, const QByteArray& body);

    QPointer<Session> m_session;
    QList<Row> m_rows;
    QString m_query;
    QString m_error;
    QString m_lastExportPath;
    QVariantMap m_lastErasure;
    int m_busy = 0;
    bool m_searching = false;
    quint64 m_search = 0; // bumped by every search: older answers are dropped
    quint64 m_epoch = 0;  // bumped when the session changes or signs out: every answer is dropped
    // Set when the session changes or signs out: exports not yet written are not written.
    std::shared_ptr<std::atomic<bool>> m_cancelled = std::make_shared<std::atomic<bool>>(false);
};

} // namespace cc::app
