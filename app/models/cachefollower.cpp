#include "app/models/cachefollower.h"

#include <utility>

namespace cc::app {

bool CacheFollower::follow(SyncService* service, std::function<bool(const QStringList&)> concerns,
                           std::function<void()> reload)
{
    if (m_service == service) {
        return false;
    }
    if (m_service) {
        QObject::disconnect(m_service, nullptr, m_owner, nullptr);
    }
    m_service = service;
    if (m_service) {
        QObject::connect(m_service, &SyncService::rowsChanged, m_owner,
                         [concerns = std::move(concerns),
                          reload = std::move(reload)](const QStringList& entities) {
                             if (entities.isEmpty() || concerns(entities)) {
                                 reload();
                             }
                         });
    }
    return true;
}

void CacheFollower::reload(const Load& load, const std::function<void()>& loadingChanged)
{
    if (!m_service) {
        return;
    }
    if (m_loading) {
        m_reloadAgain = true;
        return;
    }
    m_loading = true;
    loadingChanged();
    load([this, load, loadingChanged] {
        m_loading = false;
        loadingChanged();
        if (std::exchange(m_reloadAgain, false)) {
            reload(load, loadingChanged);
        }
    });
}

} // namespace cc::app
