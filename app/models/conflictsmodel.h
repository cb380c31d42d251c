#pragma once

#include "app/sync/syncservice.h"

#include <QAbstractListModel>
#include <QDateTime>
#include <QPointer>
#include <QVector>
#include <QtQml/qqmlregistration.h>

namespace cc::app {

// This device's writes that the server did not keep, so nobody's work vanishes silently: a write
// it refused (rolled back here, with the reason) or fields a later change made elsewhere kept.
// Newest first; the person dismisses each once seen.
class ConflictsModel : public QAbstractListModel {
    Q_OBJECT
    QML_ELEMENT

    Q_PROPERTY(cc::app::SyncService* sync READ service WRITE setService NOTIFY serviceChanged)
    Q_PROPERTY(bool loading READ loading NOTIFY loadingChanged)

public:
    enum Role {
        IdRole = Qt::UserRole + 1,
        RefusedRole, // true: refused and rolled back; false: overridden by a later change
        WhatRole,    // "a task", "a customer", ...
        ReasonRole,
        FieldsRole,
        AtRole,
    };
    Q_ENUM(Role)

    explicit ConflictsModel(QObject* parent = nullptr);
    SyncService* service() const { return m_service; }
    void setService(SyncService* service);

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;
    bool loading() const { return m_loading; }

    Q_INVOKABLE void dismiss(int row);

Q_SIGNALS:
    void serviceChanged();
    void loadingChanged();

private:
    struct Conflict {
        qint64 id = 0;
        bool refused = false;
        QString what;
        QString reason;
        QStringList fields;
        QDateTime at;
    };
    void reload();

    QPointer<SyncService> m_service;
    QVector<Conflict> m_conflicts;
    bool m_loading = false;
    bool m_reloadAgain = false;
};

} // namespace cc::app
