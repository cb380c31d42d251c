#pragma once

#include "app/sync/syncservice.h"

#include <QAbstractListModel>
#include <QPointer>
#include <QtQml/qqmlregistration.h>

#include <functional>

namespace cc::app {

// What the list models over the offline cache share: the `sync` they read from (QML sets it to
// the `Sync` singleton, tests to their own), a `loading` flag, and reloads that coalesce a burst
// of changes into one more read. A subclass reads (on the sync thread, through the service),
// resets its rows and calls `finished`.
class CacheListModel : public QAbstractListModel {
    Q_OBJECT
    QML_ANONYMOUS

    Q_PROPERTY(cc::app::SyncService* sync READ service WRITE setService NOTIFY serviceChanged)
    Q_PROPERTY(bool loading READ loading NOTIFY loadingChanged)

public:
    SyncService* service() const { return m_service; }
    void setService(SyncService* service);
    bool loading() const { return m_loading; }

Q_SIGNALS:
    void serviceChanged();
    void loadingChanged();

protected:
    explicit CacheListModel(QObject* parent);
    void reload();
    virtual void load(std::function<void()> finished) = 0;
    // Whether a change to these synced entities (empty: possibly any) concerns this list.
    virtual bool concerns(const QStringList& entities) const = 0;
    // For a list that follows something else of the service as well.
    virtual void watch(SyncService* /*service*/) {}

private:
    QPointer<SyncService> m_service;
    bool m_loading = false;
    bool m_reloadAgain = false;
};

} // namespace cc::app
