#pragma once

#include "app/models/cachelistmodel.h"

#include <QDateTime>
#include <QPointer>
#include <QVector>
#include <QtQml/qqmlregistration.h>

namespace cc::app {

// This device's writes that the server did not keep, so nobody's work vanishes silently: a write
// it refused (rolled back here, with the reason) or fields a later change made elsewhere kept.
// Newest first; the person dismisses each once seen.
class ConflictsModel : public CacheListModel {
    Q_OBJECT
    QML_ELEMENT

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

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    Q_INVOKABLE void dismiss(int row);

private:
    struct Conflict {
        qint64 id = 0;
        bool refused = false;
        QString what;
        QString reason;
        QStringList fields;
        QDateTime at;
    };
    void load(std::function<void()> finished) override;
    bool concerns(const QStringList& /*entities*/) const override { return false; }
    void watch(SyncService* service) override;

    QVector<Conflict> m_conflicts;
};

} // namespace cc::app
