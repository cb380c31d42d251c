#pragma once

#include "app/sync/syncservice.h"

#include <QObject>
#include <QPointer>
#include <QStringList>

#include <functional>

namespace cc::app {

// What CacheListModel and CacheObject share: following a SyncService (reload when a synced
// change concerns the owner) and reloads that coalesce a burst of changes into one more read.
// The owner keeps its own properties and signals (moc needs them on the QObject); this holds the
// state and the logic.
class CacheFollower {
public:
    using Finished = std::function<void()>;
    using Load = std::function<void(Finished)>;

    explicit CacheFollower(QObject* owner)
        : m_owner(owner)
    {}

    SyncService* service() const { return m_service; }
    bool loading() const { return m_loading; }

    // Follows `service` (nullptr: none): on its rowsChanged, `reload` runs when the change may
    // concern the owner (an empty list of entities: possibly anything). False when `service` is
    // the one followed already.
    bool follow(SyncService* service, std::function<bool(const QStringList&)> concerns,
                std::function<void()> reload);

    // Runs `load` now, or once more after the load in flight; `loadingChanged` on every change of
    // loading().
    void reload(const Load& load, const std::function<void()>& loadingChanged);

private:
    QObject* m_owner;
    QPointer<SyncService> m_service;
    bool m_loading = false;
    bool m_reloadAgain = false;
};

} // namespace cc::app
