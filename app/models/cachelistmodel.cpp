#include "app/models/cachelistmodel.h"

namespace cc::app {

CacheListModel::CacheListModel(QObject* parent)
    : QAbstractListModel(parent)
    , m_follower(this)
{}

void CacheListModel::setService(SyncService* service)
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

void CacheListModel::reload()
{
    m_follower.reload([this](CacheFollower::Finished finished) { load(std::move(finished)); },
                      [this] { Q_EMIT loadingChanged(); });
}

} // namespace cc::app
