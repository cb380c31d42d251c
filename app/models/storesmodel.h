#pragma once

#include "app/models/appointmentsdata.h"
#include "app/models/cachelistmodel.h"

#include <QtQml/qqmlregistration.h>

namespace cc::app {

// Stores from the offline cache, by code: the person's own (their home store and those they
// work in) or, with `all`, every store of the organisation the cache holds (an admin linking
// stores to a provider). For store pickers and per-store forms.
class StoresModel : public CacheListModel {
    Q_OBJECT
    QML_ELEMENT

    Q_PROPERTY(bool all READ all WRITE setAll NOTIFY allChanged)
    Q_PROPERTY(int count READ count NOTIFY countChanged)

public:
    enum Role {
        StoreIdRole = Qt::UserRole + 1,
        CodeRole,
        NameRole,
        TimeZoneRole,
        LabelRole, // "NE-01 · Main Street"
    };
    Q_ENUM(Role)

    explicit StoresModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    bool all() const { return m_all; }
    void setAll(bool all);
    int count() const { return static_cast<int>(m_stores.size()); }

    // The row of a store, or -1.
    Q_INVOKABLE int indexOf(const QString& storeId) const;
    Q_INVOKABLE QString nameOf(const QString& storeId) const;

Q_SIGNALS:
    void allChanged();
    void countChanged();

private:
    void load(std::function<void()> finished) override;
    bool concerns(const QStringList& entities) const override;

    QVector<appointments::Store> m_stores;
    bool m_all = false;
};

} // namespace cc::app
