#include "app/admin/auditmodel.h"

#include <QDate>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkReply>
#include <QTimer>
#include <QUrl>

#include <algorithm>

namespace cc::app {
namespace {
constexpr qsizetype kMaxEntries = 10000; // in one answer
constexpr qsizetype kMaxRows = 50000;    // held at once, however far back one pages
constexpr qint64 kMaxBody = 4 * 1024 * 1024;
constexpr int kMaxPage = 200; // the server's

bool validDate(const QString& text)
{
    return text.isEmpty() || (text.size() == 10 && QDate::fromString(text, Qt::ISODate).isValid());
}
} // namespace

int AuditModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_entries.size());
}

QVariant AuditModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
        return {};
    }
    const Entry& e = m_entries.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
    case ActionRole:
        return e.action;
    case WhenRole:
        return e.when;
    case ActorRole:
        return e.actor;
    case TargetRole:
        return e.target;
    case IdRole:
        return e.id;
    case ActorNameRole:
        return e.actorName;
    case TargetNameRole:
        return e.targetName;
    case DetailRole:
        return e.detail;
    default:
        return {};
    }
}

QHash<int, QByteArray> AuditModel::roleNames() const
{
    return {{WhenRole, "when"},
            {ActionRole, "what"},
            {ActorRole, "who"},
            {TargetRole, "target"},
            {IdRole, "entryId"},
            {ActorNameRole, "whoName"},
            {TargetNameRole, "targetName"},
            {DetailRole, "detail"}};
}

std::optional<AuditModel::Page> AuditModel::parsePage(const QByteArray& body)
{
    const QJsonObject root = QJsonDocument::fromJson(body).object();
    const QJsonValue entries = root.value(QStringLiteral("entries"));
    if (!entries.isArray() || entries.toArray().size() > kMaxEntries) {
        return std::nullopt;
    }
    Page page;
    for (const auto& value : entries.toArray()) {
        const QJsonObject o = value.toObject();
        Entry e{o.value(QStringLiteral("id")).toInteger(),
                o.value(QStringLiteral("at")).toString(),
                o.value(QStringLiteral("action")).toString(),
                o.value(QStringLiteral("actorUserId")).toString(),
                {},
                o.value(QStringLiteral("actorName")).toString(),
                o.value(QStringLiteral("targetName")).toString(),
                {}};
        if (e.id <= 0 || e.action.isEmpty()) {
            return std::nullopt;
        }
        const QString type = o.value(QStringLiteral("targetType")).toString();
        const QString id = o.value(QStringLiteral("targetId")).toString();
        e.target = type.isEmpty() ? id : type + QLatin1Char(' ') + id;
        const QJsonObject detail = o.value(QStringLiteral("detail")).toObject();
        if (!detail.isEmpty()) {
            e.detail = QString::fromUtf8(QJsonDocument(detail).toJson(QJsonDocument::Compact));
        }
        page.entries.push_back(std::move(e));
    }
    page.nextBefore = root.value(QStringLiteral("nextBefore")).toInteger(0);
    if (page.nextBefore < 0) {
        return std::nullopt;
    }
    return page;
}

std::optional<QList<AuditModel::Entry>> AuditModel::parse(const QByteArray& body)
{
    auto page = parsePage(body);
    if (!page) {
        return std::nullopt;
    }
    return std::move(page->entries);
}

std::optional<QString> AuditModel::path(qint64 before)
{
    if (!validDate(m_from) || !validDate(m_to)) {
        setError(tr("Write dates as year-month-day, for example 2024-05-31."));
        return std::nullopt;
    }
    if (!m_from.isEmpty() && !m_to.isEmpty() && m_from > m_to) {
        setError(tr("The first day comes after the last."));
        return std::nullopt;
    }
    QString query = QStringLiteral("limit=%1").arg(m_pageSize);
    const auto add = [&query](const char* name, const QString& value) {
        if (!value.isEmpty()) {
            query += QLatin1Char('&') + QLatin1String(name) + QLatin1Char('=') +
                     QString::fromLatin1(QUrl::toPercentEncoding(value));
        }
    };
    if (before > 0) {
        add("before", QString::number(before));
    }
    add("action", m_action);
    add("actor", m_actor);
    add("targetType", m_targetType);
    add("targetId", m_targetId);
    add("from", m_from);
    add("to", m_to);
    return QStringLiteral("/v1/admin/audit?") + query;
}

void AuditModel::reload()
{
    m_reloadScheduled = false;
    ++m_generation; // an older page still on its way belongs to the list being replaced
    const auto target = path(0);
    if (!target) {
        return;
    }
    fetch(*target, [this](const QByteArray& body) {
        auto page = parsePage(body);
        if (!page) {
            return false;
        }
        beginResetModel();
        m_entries = std::move(page->entries);
        endResetModel();
        setPaging(page->nextBefore, false);
        return true;
    });
}

bool AuditModel::canFetchMore(const QModelIndex& parent) const
{
    return !parent.isValid() && m_nextBefore > 0 && !m_loadingMore && m_entries.size() < kMaxRows &&
           session() != nullptr;
}

void AuditModel::fetchMore(const QModelIndex& parent)
{
    if (!canFetchMore(parent)) {
        return;
    }
    const auto target = path(m_nextBefore);
    QNetworkReply* reply = target ? session()->apiGet(*target) : nullptr;
    if (reply == nullptr) {
        return;
    }
    setPaging(m_nextBefore, true);
    const quint64 generation = m_generation;
    connect(reply, &QNetworkReply::finished, this, [this, reply, generation] {
        reply->deleteLater();
        if (generation != m_generation) {
            return; // the list was reloaded meanwhile
        }
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (status != 200) {
            setPaging(m_nextBefore, false);
            setError(describe(status));
            return;
        }
        auto page = parsePage(reply->read(kMaxBody));
        if (!page) {
            setPaging(m_nextBefore, false);
            setError(tr("The server sent a list this app cannot read."));
            return;
        }
        // Strictly older than what is listed: pages never overlap, whatever was added since.
        const qint64 oldest = m_entries.isEmpty() ? 0 : m_entries.constLast().id;
        QList<Entry> older;
        for (auto& e : page->entries) {
            if (oldest == 0 || e.id < oldest) {
                older.push_back(std::move(e));
            }
        }
        if (!older.isEmpty()) {
            const int first = static_cast<int>(m_entries.size());
            beginInsertRows({}, first, first + static_cast<int>(older.size()) - 1);
            m_entries.append(std::move(older));
            endInsertRows();
        }
        // A page that brought nothing new cannot lead anywhere new either.
        setPaging(page->entries.isEmpty() ? 0 : page->nextBefore, false);
        setError({});
    });
}

void AuditModel::setPaging(qint64 nextBefore, bool loadingMore)
{
    if (nextBefore != m_nextBefore || loadingMore != m_loadingMore) {
        m_nextBefore = nextBefore;
        m_loadingMore = loadingMore;
        Q_EMIT pagingChanged();
    }
}

void AuditModel::scheduleReload()
{
    // Several filters set in one go (a filter bar's "Apply") make one request.
    if (!m_reloadScheduled) {
        m_reloadScheduled = true;
        QTimer::singleShot(0, this, [this] {
            if (m_reloadScheduled) {
                reload();
            }
        });
    }
}

void AuditModel::setFilter(QString& field, const QString& value)
{
    const QString trimmed = value.trimmed();
    if (trimmed != field) {
        field = trimmed;
        Q_EMIT filterChanged();
        scheduleReload();
    }
}

void AuditModel::setActionFilter(const QString& value)
{
    setFilter(m_action, value);
}

void AuditModel::setActorFilter(const QString& value)
{
    setFilter(m_actor, value);
}

void AuditModel::setTargetTypeFilter(const QString& value)
{
    setFilter(m_targetType, value);
}

void AuditModel::setTargetIdFilter(const QString& value)
{
    setFilter(m_targetId, value);
}

void AuditModel::setFromDate(const QString& value)
{
    setFilter(m_from, value);
}

void AuditModel::setToDate(const QString& value)
{
    setFilter(m_to, value);
}

void AuditModel::setPageSize(int value)
{
    const int bounded = std::clamp(value, 1, kMaxPage);
    if (bounded != m_pageSize) {
        m_pageSize = bounded;
        Q_EMIT filterChanged();
        scheduleReload();
    }
}

void AuditModel::clearFilters()
{
    for (QString* field : {&m_action, &m_actor, &m_targetType, &m_targetId, &m_from, &m_to}) {
        field->clear();
    }
    Q_EMIT filterChanged();
    scheduleReload();
}

} // namespace cc::app
