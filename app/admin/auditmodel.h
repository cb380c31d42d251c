#pragma once

#include "app/admin/serverlistmodel.h"

#include <optional>

namespace cc::app {

// The organisation's audit log, newest first (GET /v1/admin/audit; admins only): who did what
// to which user, store, rule or integration, and when. A page at a time (`pageSize`, at most
// 200): fetchMore() — a ListView asks by itself when scrolled to the end, a "Load older" button
// through loadOlder() — brings the next older page, and the filters narrow what is listed (a
// change reloads from the newest).
class AuditModel : public ServerListModel {
    Q_OBJECT
    QML_ELEMENT

    // Actions starting with this ("user.", "routing_rules.set"); empty: every action.
    Q_PROPERTY(QString actionFilter READ actionFilter WRITE setActionFilter NOTIFY filterChanged)
    // The user id of who did it; empty: anyone.
    Q_PROPERTY(QString actorFilter READ actorFilter WRITE setActorFilter NOTIFY filterChanged)
    Q_PROPERTY(QString targetTypeFilter READ targetTypeFilter WRITE setTargetTypeFilter NOTIFY
                   filterChanged)
    Q_PROPERTY(
        QString targetIdFilter READ targetIdFilter WRITE setTargetIdFilter NOTIFY filterChanged)
    // Days in UTC, "2024-05-31": from the start of `fromDate` through the end of `toDate`.
    Q_PROPERTY(QString fromDate READ fromDate WRITE setFromDate NOTIFY filterChanged)
    Q_PROPERTY(QString toDate READ toDate WRITE setToDate NOTIFY filterChanged)
    Q_PROPERTY(int pageSize READ pageSize WRITE setPageSize NOTIFY filterChanged)
    Q_PROPERTY(bool hasMore READ hasMore NOTIFY pagingChanged)
    Q_PROPERTY(bool loadingMore READ loadingMore NOTIFY pagingChanged)

public:
    enum Role {
        WhenRole = Qt::UserRole + 1, // ISO 8601, UTC
        ActionRole,
        ActorRole,  // user id of who did it; empty for the system
        TargetRole, // "user 0b7e…"
        IdRole,
        ActorNameRole,  // who did it, by name (when still of the organisation)
        TargetNameRole, // a person the entry is about, by name
        DetailRole,     // the entry's detail, compact JSON
    };
    Q_ENUM(Role)

    struct Entry {
        qint64 id = 0;
        QString when;
        QString action;
        QString actor;
        QString target;
        QString actorName;
        QString targetName;
        QString detail;
    };

    struct Page {
        QList<Entry> entries;
        qint64 nextBefore = 0; // 0: no older entries match
    };

    using ServerListModel::ServerListModel;

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;
    bool canFetchMore(const QModelIndex& parent) const override;
    void fetchMore(const QModelIndex& parent) override;

    void reload() override;
    Q_INVOKABLE void loadOlder() { fetchMore({}); }
    // Every filter back to "everything", with one reload.
    Q_INVOKABLE void clearFilters();

    QString actionFilter() const { return m_action; }
    void setActionFilter(const QString& value);
    QString actorFilter() const { return m_actor; }
    void setActorFilter(const QString& value);
    QString targetTypeFilter() const { return m_targetType; }
    void setTargetTypeFilter(const QString& value);
    QString targetIdFilter() const { return m_targetId; }
    void setTargetIdFilter(const QString& value);
    QString fromDate() const { return m_from; }
    void setFromDate(const QString& value);
    QString toDate() const { return m_to; }
    void setToDate(const QString& value);
    int pageSize() const { return m_pageSize; }
    void setPageSize(int value);
    bool hasMore() const { return m_nextBefore > 0; }
    bool loadingMore() const { return m_loadingMore; }

    static std::optional<QList<Entry>> parse(const QByteArray& body);
    static std::optional<Page> parsePage(const QByteArray& body);

Q_SIGNALS:
    void filterChanged();
    void pagingChanged();

private:
    // The query for a page older than `before` (0: the newest); empty with an error set when a
    // filter cannot be sent.
    std::optional<QString> path(qint64 before);
    void setFilter(QString& field, const QString& value);
    void scheduleReload();
    void setPaging(qint64 nextBefore, bool loadingMore);

    QList<Entry> m_entries;
    QString m_action;
    QString m_actor;
    QString m_targetType;
    QString m_targetId;
    QString m_from;
    QString m_to;
    int m_pageSize = 50;
    qint64 m_nextBefore = 0;
    bool m_loadingMore = false;
    bool m_reloadScheduled = false;
    quint64 m_generation = 0; // bumped by every reload: older pages of a previous list are dropped
};

} // namespace cc::app
