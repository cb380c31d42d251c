#pragma once

#include "app/models/cachefollower.h"
#include "app/sync/syncservice.h"

#include <QObject>
#include <QPointer>
#include <QtQml/qqmlregistration.h>

#include <functional>

namespace cc::app {

// CacheListModel's counterpart for an object that is not a list (the caller card, the person's
// presence): the `sync` it reads from, a `loading` flag, and reloads on the synced changes that
// concern it, a burst of them coalesced into one more read.
class CacheObject : public QObject {
    Q_OBJECT
    QML_ANONYMOUS

    Q_PROPERTY(cc::app::SyncService* sync READ service WRITE setService NOTIFY serviceChanged)
    Q_PROPERTY(bool loading READ loading NOTIFY loadingChanged)

public:
    SyncService* service() const { return m_follower.service(); }
    void setService(SyncService* service);
    bool loading() const { return m_follower.loading(); }

Q_SIGNALS:
    void serviceChanged();
    void loadingChanged();

protected:
    explicit CacheObject(QObject* parent);
    void reload();
    virtual void load(std::function<void()> finished) = 0;
    // Whether a change to these synced entities (never empty) concerns this object.
    virtual bool concerns(const QStringList& entities) const = 0;
    // For an object that follows something else of the service as well (its status).
    virtual void watch(SyncService* /*service*/) {}

private:
    CacheFollower m_follower;
};

} // namespace cc::app
