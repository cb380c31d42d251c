#include "app/analytics/livestaffmodel.h"

#include "app/analytics/figuretext.h"
#include "app/cache/localstore.h"

#include <algorithm>

namespace cc::app {

LiveStaffModel::LiveStaffModel(QObject* parent)
    : QAbstractListModel(parent)
{
    connect(this, &QAbstractItemModel::rowsInserted, this, &LiveStaffModel::countChanged);
    connect(this, &QAbstractItemModel::rowsRemoved, this, &LiveStaffModel::countChanged);
    connect(this, &QAbstractItemModel::modelReset, this, &LiveStaffModel::countChanged);
}

int LiveStaffModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_people.size());
}

QVariant LiveStaffModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
        return {};
    }
    const Person& p = m_people.at(index.row());
    const cc::analytics::Figures f = cc::analytics::figuresOf(p.counters);
    const std::optional<double> share =
        m_storeAnswered > 0 ? std::optional<double>(static_cast<double>(p.counters.answered) /
                                                    static_cast<double>(m_storeAnswered))
                            : std::nullopt;
    switch (role) {
    case UserIdRole:
        return p.userId;
    case Qt::DisplayRole:
    case NameRole:
        return p.name;
    case AnsweredRole:
        return static_cast<int>(p.counters.answered);
    case HandledRole:
        return static_cast<int>(p.counters.handled);
    case ShareRole:
        return share ? *share : 0.0;
    case ShareTextRole:
        return figures::percent(share);
    case AsaTextRole:
        return figures::duration(f.asaSeconds);
    case AhtTextRole:
        return figures::duration(f.ahtSeconds);
    case TalkTimeTextRole:
        return figures::duration(static_cast<double>(p.counters.talkMs) / 1000.0);
    case FcrTextRole:
        return figures::percent(f.fcrRate);
    case ElsewhereRole:
        return static_cast<int>(p.counters.answeredElsewhere);
    default:
        return {};
    }
}

QHash<int, QByteArray> LiveStaffModel::roleNames() const
{
    return {
        {UserIdRole, "userId"},   {NameRole, "name"},          {AnsweredRole, "answered"},
        {HandledRole, "handled"}, {ShareRole, "share"},        {ShareTextRole, "shareText"},
        {AsaTextRole, "asaText"}, {AhtTextRole, "ahtText"},    {TalkTimeTextRole, "talkTimeText"},
        {FcrTextRole, "fcrText"}, {ElsewhereRole, "elsewhere"}};
}

void LiveStaffModel::setLive(LiveAnalytics* live)
{
    if (live == m_live) {
        return;
    }
    if (m_live) {
        m_live->disconnect(this);
    }
    m_live = live;
    if (m_live) {
        connect(m_live, &LiveAnalytics::figuresChanged, this, &LiveStaffModel::rebuild);
    }
    Q_EMIT liveChanged();
    rebuild();
}

void LiveStaffModel::setService(SyncService* service)
{
    if (service == m_sync) {
        return;
    }
    if (m_sync) {
        m_sync->disconnect(this);
    }
    m_sync = service;
    if (m_sync) {
        connect(m_sync, &SyncService::rowsChanged, this, [this](const QStringList& entities) {
            if (entities.isEmpty() || entities.contains(QLatin1String("users"))) {
                readNames();
            }
        });
    }
    Q_EMIT serviceChanged();
    readNames();
}

void LiveStaffModel::readNames()
{
    if (!m_sync) {
        m_names.clear();
        rebuild();
        return;
    }
    m_sync->readCache<QHash<QString, QString>>(
        this,
        [](const cache::LocalStore* store, const QString& /*me*/) {
            QHash<QString, QString> names;
            if (store == nullptr) {
                return names;
            }
            for (const auto& [key, fields] : store->rows("users")) {
                for (const auto& field : fields) {
                    if (field.name == "display_name") {
                        if (const auto* name = std::get_if<std::string>(&field.value)) {
                            names.insert(QString::fromStdString(key),
                                         QString::fromStdString(*name));
                        }
                    }
                }
            }
            return names;
        },
        [this](QHash<QString, QString> names) {
            m_names = std::move(names);
            rebuild();
        });
}

void LiveStaffModel::rebuild()
{
    QVector<Person> next;
    if (m_live) {
        for (const auto& p : m_live->people()) {
            const QString id = QString::fromStdString(p.userId);
            next.push_back(Person{id, m_names.value(id, tr("Someone else")), p.counters});
        }
    }
    std::sort(next.begin(), next.end(), [](const Person& a, const Person& b) {
        if (a.counters.answered != b.counters.answered) {
            return a.counters.answered > b.counters.answered;
        }
        return a.name.localeAwareCompare(b.name) < 0;
    });
    m_storeAnswered = m_live ? m_live->totals().answered : 0;
    const bool sameRows =
        next.size() == m_people.size() &&
        std::equal(next.begin(), next.end(), m_people.begin(),
                   [](const Person& a, const Person& b) { return a.userId == b.userId; });
    if (sameRows) {
        // The same people in the same order: their figures change in place (a table on a wall
        // does not flicker on every call).
        m_people = std::move(next);
        if (!m_people.isEmpty()) {
            Q_EMIT dataChanged(index(0), index(static_cast<int>(m_people.size()) - 1));
        }
        return;
    }
    beginResetModel();
    m_people = std::move(next);
    endResetModel();
}

} // namespace cc::app
