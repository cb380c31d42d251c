#pragma once

#include "app/models/cachefollower.h"
#include "app/sync/syncservice.h"

#include <QAbstractListModel>
#include <QPointer>
#include <QVector>
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
    SyncService* service() const { return m_follower.service(); }
    void setService(SyncService* service);
    bool loading() const { return m_follower.loading(); }

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

    // Makes `rows` equal to `next` (unique keys) row by row: rows that stay keep their
    // delegates (a running timer, a pressed button), changed ones get dataChanged, the others are
    // removed, moved or inserted, where a reset would rebuild the whole list. Quadratic in the
    // rows, which is fine for the live lists it serves (a store's calls and people, tens).
    template <typename Row, typename KeyOf>
    void updateRows(QVector<Row>& rows, QVector<Row> next, KeyOf keyOf)
    {
        const auto indexOf = [&](const QVector<Row>& in, const auto& key, qsizetype from) {
            for (qsizetype i = from; i < in.size(); ++i) {
                if (keyOf(in[i]) == key) {
                    return i;
                }
            }
            return qsizetype{-1};
        };
        for (qsizetype i = rows.size() - 1; i >= 0; --i) {
            if (indexOf(next, keyOf(rows[i]), 0) < 0) {
                beginRemoveRows({}, static_cast<int>(i), static_cast<int>(i));
                rows.removeAt(i);
                endRemoveRows();
            }
        }
        // Now every row left is in `next`; rows before j already match it.
        for (qsizetype j = 0; j < next.size(); ++j) {
            const qsizetype at = indexOf(rows, keyOf(next[j]), j);
            if (at < 0) {
                beginInsertRows({}, static_cast<int>(j), static_cast<int>(j));
                rows.insert(j, next[j]);
                endInsertRows();
                continue;
            }
            if (at != j) {
                beginMoveRows({}, static_cast<int>(at), static_cast<int>(at), {},
                              static_cast<int>(j));
                rows.move(at, j);
                endMoveRows();
            }
            if (!(rows[j] == next[j])) {
                rows[j] = std::move(next[j]);
                Q_EMIT dataChanged(index(static_cast<int>(j)), index(static_cast<int>(j)));
            }
        }
    }

private:
    CacheFollower m_follower;
};

} // namespace cc::app
