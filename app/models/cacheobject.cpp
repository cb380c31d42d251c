#include "app/models/cacheobject.h"

namespace cc::app {

CacheObject::CacheObject(QObject* parent)
    : QObject(parent)
    , m_follower(this)
{}

void CacheObject::setService(SyncService* service)
{
    if (!m_follower.follow(
            service, [this](const QStringList& entities) { return concerns(entities); },
            [this] { reload(); })) {
        return;
    }
    if (service != nullptr) {
        watch(service);
        reload();
    }
    Q_EMIT serviceChanged();
}

void CacheObject::reload()
{
    m_follower.reload([this](CacheFollower::Finished finished) { load(std::move(finished)); },
                      [this] { Q_EMIT loadingChanged(); });
}

} // namespace cc::app
