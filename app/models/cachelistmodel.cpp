#include "app/models/cachelistmodel.h"

namespace cc::app {

CacheListModel::CacheListModel(QObject* parent)
    : QAbstractListModel(parent)
{}

void CacheListModel::setService(SyncService* service)
{
    if (m_service == service) {
        return;
    }
    if (m_service) {
        disconnect(m_service, nullptr, this, nullptr);
    }
    m_service = service;
    if (m_service) {
        connect(m_service, &SyncService::rowsChanged, this, [this](const QStringList& entities) {
            if (entities.isEmpty() || concerns(entities)) {
                reload();
            }
        });
        watch(m_service);
        reload();
    }
    Q_EMIT serviceChanged();
}

void CacheListModel::reload()
{
    if (!m_service) {
        return;
    }
    if (m_loading) {
        m_reloadAgain = true;
        return;
    }
    m_loading = true;
    Q_EMIT loadingChanged();
    load([this] {
        m_loading = false;
        Q_EMIT loadingChanged();
        if (std::exchange(m_reloadAgain, false)) {
            reload();
        }
    });
}

} // namespace cc::app
