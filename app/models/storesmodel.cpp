#include "app/models/storesmodel.h"

#include "app/cache/localstore.h"

namespace cc::app {

StoresModel::StoresModel(QObject* parent)
    : CacheListModel(parent)
{
    connect(this, &QAbstractItemModel::rowsInserted, this, &StoresModel::countChanged);
    connect(this, &QAbstractItemModel::rowsRemoved, this, &StoresModel::countChanged);
    connect(this, &QAbstractItemModel::modelReset, this, &StoresModel::countChanged);
}

int StoresModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_stores.size());
}

QVariant StoresModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
        return {};
    }
    const appointments::Store& s = m_stores.at(index.row());
    switch (role) {
    case StoreIdRole:
        return s.id;
    case CodeRole:
        return s.code;
    case NameRole:
        return s.name;
    case TimeZoneRole:
        return s.timeZone;
    case Qt::DisplayRole:
    case LabelRole:
        return s.code.isEmpty() ? s.name : tr("%1 · %2").arg(s.code, s.name);
    default:
        return {};
    }
}

QHash<int, QByteArray> StoresModel::roleNames() const
{
    return {{StoreIdRole, "storeId"},
            {CodeRole, "code"},
            {NameRole, "name"},
            {TimeZoneRole, "timeZone"},
            {LabelRole, "label"}};
}

void StoresModel::setAll(bool all)
{
    if (all != m_all) {
        m_all = all;
        Q_EMIT allChanged();
        reload();
    }
}

int StoresModel::indexOf(const QString& storeId) const
{
    for (int i = 0; i < m_stores.size(); ++i) {
        if (m_stores.at(i).id == storeId) {
            return i;
        }
    }
    return -1;
}

QString StoresModel::nameOf(const QString& storeId) const
{
    const int i = indexOf(storeId);
    return i >= 0 ? m_stores.at(i).name : QString();
}

bool StoresModel::concerns(const QStringList& entities) const
{
    return entities.contains(QLatin1String("locations")) ||
           entities.contains(QLatin1String("users")) ||
           entities.contains(QLatin1String("user_locations"));
}

void StoresModel::load(std::function<void()> finished)
{
    service()->readCache<QVector<appointments::Store>>(
        this,
        [all = m_all](const cache::LocalStore* store, const QString& me) {
            return store != nullptr ? appointments::readStores(*store, me, all)
                                    : QVector<appointments::Store>();
        },
        [this, finished](QVector<appointments::Store> stores) {
            updateRows(m_stores, std::move(stores),
                       [](const appointments::Store& s) { return s.id; });
            finished();
        });
}

} // namespace cc::app
