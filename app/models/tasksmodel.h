#pragma once

#include "app/models/cachelistmodel.h"

#include <QDateTime>
#include <QHash>
#include <QPointer>
#include <QVector>
#include <QtQml/qqmlregistration.h>

namespace cc::app {

// The callbacks and follow-ups of the person's own stores, from the offline cache, soonest due
// first; open ones only unless `showDone`. Updates itself whenever synced tasks or customers change
// (someone else's write arriving, or this device's own). Marking a task done is a local write:
// it shows at once and reaches the server when it can.
class TasksModel : public CacheListModel {
    Q_OBJECT
    QML_ELEMENT

    Q_PROPERTY(bool showDone READ showDone WRITE setShowDone NOTIFY showDoneChanged)
    Q_PROPERTY(QString lastError READ lastError NOTIFY lastErrorChanged)

public:
    enum Role {
        IdRole = Qt::UserRole + 1,
        TitleRole,
        KindRole,
        StatusRole,
        DueAtRole,
        OverdueRole,
        CustomerNameRole,
    };
    Q_ENUM(Role)

    explicit TasksModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    bool showDone() const { return m_showDone; }
    void setShowDone(bool show);
    QString lastError() const { return m_lastError; }

    Q_INVOKABLE void markDone(int row);
    Q_INVOKABLE void reopen(int row);

Q_SIGNALS:
    void showDoneChanged();
    void lastErrorChanged();

private:
    struct Task {
        QString id;
        QString title;
        QString kind;
        QString status;
        QDateTime dueAt;
        QString customerName;
    };
    void load(std::function<void()> finished) override;
    bool concerns(const QStringList& entities) const override;
    void loadCustomers(const std::function<void()>& finished);
    void loadTasks(const std::function<void()>& finished);
    void setTasks(const QVector<QVariantMap>& rows);
    void setStatus(int row, const QString& status);
    void setLastError(const QString& error);

    QVector<Task> m_tasks;
    QHash<QString, QString> m_customerNames;
    QStringList m_ownStores;
    bool m_showDone = false;
    QString m_lastError;
};

} // namespace cc::app
