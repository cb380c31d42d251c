#pragma once

#include "app/admin/serverlistmodel.h"

#include <optional>

namespace cc::app {

// The organisation's audit log, newest first (GET /v1/admin/audit; admins only): who did what
// to which user, store, rule or integration, and when.
class AuditModel : public ServerListModel {
    Q_OBJECT
    QML_ELEMENT

public:
    enum Role {
        WhenRole = Qt::UserRole + 1, // ISO 8601, UTC
        ActionRole,
        ActorRole,  // user id of who did it; empty for the system
        TargetRole, // "user 0b7e…"
    };
    Q_ENUM(Role)

    struct Entry {
        qint64 id = 0;
        QString when;
        QString action;
        QString actor;
        QString target;
    };

    using ServerListModel::ServerListModel;

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    void reload() override;

    static std::optional<QList<Entry>> parse(const QByteArray& body);

private:
    QList<Entry> m_entries;
};

} // namespace cc::app
