#include "app/admin/privacyrequests.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkReply>
#include <QSaveFile>
#include <QStandardPaths>
#include <QThreadPool>
#include <QUrl>
#include <QUuid>

namespace cc::app {
namespace {

constexpr qsizetype kMaxCustomers = 200; // in one answer (the server sends at most 20)
constexpr qint64 kMaxAnswer = 1024 * 1024;
constexpr qint64 kMaxExport = 64 * 1024 * 1024; // one customer's whole history
const QString kExportFormat = QStringLiteral("callcommander.customer-export.v1");

// Invalid for null or anything but an instant.
QDateTime instant(const QJsonValue& value)
{
    return value.isString() ? QDateTime::fromString(value.toString(), Qt::ISODateWithMs)
                            : QDateTime();
}

std::optional<QStringList> strings(const QJsonValue& value)
{
    if (value.isNull() || value.isUndefined()) {
        return QStringList();
    }
    if (!value.isArray()) {
        return std::nullopt;
    }
    QStringList out;
    for (const auto& item : value.toArray()) {
        if (!item.isString()) {
            return std::nullopt;
        }
        out << item.toString();
    }
    return out;
}

// Ids go into request paths and file names: only a real id does.
bool isCustomerId(const QString& id)
{
    return id.size() == 36 && !QUuid::fromString(id).isNull();
}

// Writes the server's document as `<folder>/customer-<id>-<UTC date>.json`, readable by its
// owner only; the path, or why not. On a worker thread.
std::pair<QString, QString> writeExport(const QString& customerId, const QString& folder,
                                        const QByteArray& body)
{
    QJsonParseError parseError{};
    const QJsonDocument document = QJsonDocument::fromJson(body, &parseError);
    const QJsonObject root = document.object();
    if (parseError.error != QJsonParseError::NoError ||
        root.value(QStringLiteral("format")).toString() != kExportFormat ||
        root.value(QStringLiteral("customer"))
                .toObject()
                .value(QStringLiteral("id"))
                .toString()
                .compare(customerId, Qt::CaseInsensitive) != 0) {
        return {{}, PrivacyRequests::tr("The server sent a document this app cannot read.")};
    }
    const QString dir = folder.isEmpty() ? PrivacyRequests::defaultExportFolder() : folder;
    if (!QDir().mkpath(dir)) {
        return {
            {},
            PrivacyRequests::tr("Cannot create the folder %1.").arg(QDir::toNativeSeparators(dir))};
    }
    const QString path = QDir(dir).absoluteFilePath(
        PrivacyRequests::exportFileName(customerId, QDateTime::currentDateTimeUtc().date()));
    QSaveFile file(path);
    const QByteArray text = document.toJson(QJsonDocument::Indented);
    if (!file.open(QIODevice::WriteOnly)) {
        return {{},
                PrivacyRequests::tr("Could not save %1: %2")
                    .arg(QDir::toNativeSeparators(path), file.errorString())};
    }
    // Personal data: not for the other accounts of this computer (where the folder's file system
    // knows owners at all).
    file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    if (file.write(text) != text.size() || !file.commit()) {
        return {{},
                PrivacyRequests::tr("Could not save %1: %2")
                    .arg(QDir::toNativeSeparators(path), file.errorString())};
    }
    return {path, {}};
}

} // namespace

PrivacyRequests::PrivacyRequests(QObject* parent)
    : QAbstractListModel(parent)
{}

int PrivacyRequests::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

QVariant PrivacyRequests::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
        return {};
    }
    const Row& r = m_rows.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
    case DisplayNameRole:
        return r.displayName;
    case CustomerIdRole:
        return r.id;
    case EmailRole:
        return r.email;
    case PhonesRole:
        return r.phones.join(QStringLiteral(", "));
    case StoresRole:
        return r.stores.join(QStringLiteral(", "));
    case LastCallAtRole:
        return r.lastCallAt;
    case ErasedRole:
        return r.erasedAt.isValid();
    case ErasedAtRole:
        return r.erasedAt;
    default:
        return {};
    }
}

QHash<int, QByteArray> PrivacyRequests::roleNames() const
{
    return {{CustomerIdRole, "customerId"}, {DisplayNameRole, "displayName"},
            {EmailRole, "email"},           {PhonesRole, "phones"},
            {StoresRole, "stores"},         {LastCallAtRole, "lastCallAt"},
            {ErasedRole, "erased"},         {ErasedAtRole, "erasedAt"}};
}

void PrivacyRequests::setSession(Session* session)
{
    if (session == m_session) {
        return;
    }
    if (m_session) {
        disconnect(m_session, nullptr, this, nullptr);
    }
    forget();
    m_session = session;
    if (m_session) {
        connect(m_session, &Session::stateChanged, this, &PrivacyRequests::onSessionState);
    }
    Q_EMIT sessionChanged();
}

void PrivacyRequests::onSessionState()
{
    // What was found about customers is not for whoever signs in next.
    if (m_session && m_session->state() == Session::State::SignedOut) {
        forget();
    }
}

void PrivacyRequests::forget()
{
    ++m_epoch;
    m_cancelled->store(true);
    m_cancelled = std::make_shared<std::atomic<bool>>(false);
    ++m_search;
    setSearching(false);
    clearRows();
    if (!m_query.isEmpty()) {
        m_query.clear();
        Q_EMIT queryChanged();
    }
    if (!m_lastExportPath.isEmpty()) {
        m_lastExportPath.clear();
        Q_EMIT lastExportPathChanged();
    }
    if (!m_lastErasure.isEmpty()) {
        m_lastErasure.clear();
        Q_EMIT lastErasureChanged();
    }
    setError({});
}

QString PrivacyRequests::defaultExportFolder()
{
    QString folder = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    return folder.isEmpty() ? QDir::homePath() : folder;
}

QString PrivacyRequests::exportFileName(const QString& customerId, QDate day)
{
    return QStringLiteral("customer-%1-%2.json").arg(customerId, day.toString(Qt::ISODate));
}

int PrivacyRequests::rowOf(const QString& customerId) const
{
    for (int i = 0; i < m_rows.size(); ++i) {
        if (m_rows[i].id == customerId) {
            return i;
        }
    }
    return -1;
}

std::optional<QList<PrivacyRequests::Row>> PrivacyRequests::parse(const QByteArray& body)
{
    const QJsonValue customers =
        QJsonDocument::fromJson(body).object().value(QStringLiteral("customers"));
    if (!customers.isArray() || customers.toArray().size() > kMaxCustomers) {
        return std::nullopt;
    }
    QList<Row> rows;
    for (const auto& value : customers.toArray()) {
        const QJsonObject o = value.toObject();
        Row r;
        r.id = o.value(QStringLiteral("id")).toString();
        r.displayName = o.value(QStringLiteral("displayName")).toString();
        r.email = o.value(QStringLiteral("email")).toString();
        r.lastCallAt = instant(o.value(QStringLiteral("lastCallAt")));
        r.erasedAt = instant(o.value(QStringLiteral("erasedAt")));
        auto phones = strings(o.value(QStringLiteral("phones")));
        auto stores = strings(o.value(QStringLiteral("stores")));
        if (r.id.isEmpty() || !phones || !stores) {
            return std::nullopt;
        }
        r.phones = std::move(*phones);
        r.stores = std::move(*stores);
        rows.push_back(std::move(r));
    }
    return rows; // in the server's order: the most recent contact first
}

std::optional<QVariantMap> PrivacyRequests::parseErasure(const QByteArray& body)
{
    const QJsonObject root = QJsonDocument::fromJson(body).object();
    const QDateTime erasedAt = instant(root.value(QStringLiteral("customerErasedAt")));
    const QJsonValue removed = root.value(QStringLiteral("removed"));
    const QJsonValue anonymised = root.value(QStringLiteral("anonymised"));
    const auto recordings = strings(root.value(QStringLiteral("providerRecordingsToDelete")));
    if (!erasedAt.isValid() || !removed.isObject() || !anonymised.isObject() || !recordings) {
        return std::nullopt;
    }
    QVariantMap out{{QStringLiteral("erasedAt"), erasedAt},
                    {QStringLiteral("alreadyErased"),
                     root.value(QStringLiteral("alreadyErased")).toBool(false)},
                    {QStringLiteral("providerRecordingsToDelete"), *recordings}};
    for (const auto& [group, fields] :
         {std::pair{removed.toObject(),
                    QStringList{QStringLiteral("notes"), QStringLiteral("phones"),
                                QStringLiteral("selfServiceTurns")}},
          std::pair{anonymised.toObject(),
                    QStringList{QStringLiteral("calls"), QStringLiteral("tasks"),
                                QStringLiteral("appointments")}}}) {
        for (const auto& field : fields) {
            const QJsonValue count = group.value(field);
            if (!count.isDouble() || count.toInteger(-1) < 0) {
                return std::nullopt;
            }
            out.insert(field, count.toInteger());
        }
    }
    return out;
}

void PrivacyRequests::search(const QString& q)
{
    const QString query = q.trimmed();
    ++m_search; // whatever an older search brings is stale from now on
    if (query != m_query) {
        m_query = query;
        Q_EMIT queryChanged();
    }
    if (query.isEmpty()) {
        setSearching(false);
        clearRows();
        setError({});
        return;
    }
    QNetworkReply* reply =
        m_session ? m_session->apiGet(QStringLiteral("/v1/admin/customers?q=") +
                                      QString::fromLatin1(QUrl::toPercentEncoding(query)))
                  : nullptr;
    if (reply == nullptr) {
        setSearching(false);
        clearRows();
        setError(tr("Sign in first."));
        return;
    }
    setSearching(true);
    const quint64 generation = m_search;
    send(reply, kMaxAnswer, [this, generation](int status, const std::optional<QByteArray>& body) {
        if (generation != m_search) {
            return; // a newer search was started meanwhile
        }
        setSearching(false);
        auto rows = status == 200 && body ? parse(*body) : std::nullopt;
        // What an older search found is not what this one asked for: the list empties when
        // this one fails.
        if (rows && !rows->isEmpty()) {
            beginResetModel();
            m_rows = std::move(*rows);
            endResetModel();
        } else {
            clearRows();
        }
        if (!body) {
            setError(tr("The server sent an answer this app cannot read."));
        } else if (status != 200) {
            setError(describe(status, *body));
        } else if (!rows) {
            setError(tr("The server sent a list this app cannot read."));
        } else {
            setError({});
        }
    });
}

void PrivacyRequests::exportCustomer(const QString& customerId, const QString& folder)
{
    if (!isCustomerId(customerId)) {
        fail(tr("This is not a customer's id."));
        return;
    }
    QNetworkReply* reply =
        m_session
            ? m_session->apiGet(QStringLiteral("/v1/admin/customers/%1/export").arg(customerId))
            : nullptr;
    if (reply == nullptr) {
        fail(tr("Sign in first."));
        return;
    }
    setError({});
    const QString target = folder.trimmed();
    send(reply, kMaxExport,
         [this, customerId, target](int status, const std::optional<QByteArray>& body) {
             if (!body) {
                 fail(tr("The export is too large for this app to save."));
                 return;
             }
             if (status != 200) {
                 fail(describe(status, *body));
                 return;
             }
             // Parsing and the disk on a worker thread; the outcome comes back to this thread (the
             // application object outlives every model; `guard` says whether this one still
             // exists, `epoch` whether its sign-in is still the same).
             if (m_busy++ == 0) {
                 Q_EMIT busyChanged();
             }
             QThreadPool::globalInstance()->start([guard = QPointer<PrivacyRequests>(this),
                                                   epoch = m_epoch, cancelled = m_cancelled,
                                                   customerId, target, document = *body] {
                 // Signed out meanwhile: nothing personal is written any more.
                 auto [path, failure] = cancelled->load()
                                            ? std::pair<QString, QString>()
                                            : writeExport(customerId, target, document);
                 QMetaObject::invokeMethod(
                     QCoreApplication::instance(),
                     [guard, epoch, path = std::move(path), failure = std::move(failure)] {
                         if (!guard) {
                             return;
                         }
                         if (--guard->m_busy == 0) {
                             Q_EMIT guard->busyChanged();
                         }
                         if (epoch != guard->m_epoch) {
                             return;
                         }
                         if (!failure.isEmpty()) {
                             guard->fail(failure);
                             return;
                         }
                         guard->m_lastExportPath = path;
                         Q_EMIT guard->lastExportPathChanged();
                         Q_EMIT guard->exported(path);
                     },
                     Qt::QueuedConnection);
             });
         });
}

void PrivacyRequests::erase(const QString& customerId)
{
    if (!isCustomerId(customerId)) {
        fail(tr("This is not a customer's id."));
        return;
    }
    QNetworkReply* reply =
        m_session
            ? m_session->apiPost(QStringLiteral("/v1/admin/customers/%1/erase").arg(customerId),
                                 QJsonObject())
            : nullptr;
    if (reply == nullptr) {
        fail(tr("Sign in first."));
        return;
    }
    setError({});
    send(reply, kMaxAnswer, [this, customerId](int status, const std::optional<QByteArray>& body) {
        if (status != 200 || !body) {
            fail(body ? describe(status, *body)
                      : tr("The server sent an answer this app cannot read."));
            return;
        }
        auto result = parseErasure(*body);
        if (!result) {
            fail(tr("The customer may be erased, but the server's answer cannot be read: "
                    "search again to see."));
            return;
        }
        result->insert(QStringLiteral("customerId"), customerId);
        // The row shows what is left of the customer now, without asking again.
        const int row = rowOf(customerId);
        if (row >= 0) {
            Row& r = m_rows[row];
            r.displayName = tr("Erased customer");
            r.email.clear();
            r.phones.clear();
            r.erasedAt = result->value(QStringLiteral("erasedAt")).toDateTime();
            const QModelIndex changed = index(row);
            Q_EMIT dataChanged(changed, changed);
        }
        m_lastErasure = *result;
        Q_EMIT lastErasureChanged();
        Q_EMIT erased(m_lastErasure);
    });
}

void PrivacyRequests::send(QNetworkReply* reply, qint64 limit,
                           std::function<void(int, const std::optional<QByteArray>&)> done)
{
    if (m_busy++ == 0) {
        Q_EMIT busyChanged();
    }
    connect(reply, &QNetworkReply::finished, this,
            [this, reply, limit, epoch = m_epoch, done = std::move(done)] {
                reply->deleteLater();
                // Signed out, or another session: not for this list. (Busy until `done` has run,
                // which may start more work.)
                if (epoch == m_epoch) {
                    const int status =
                        reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
                    const QByteArray body = reply->read(limit);
                    done(status, reply->atEnd() ? std::optional<QByteArray>(body) : std::nullopt);
                }
                if (--m_busy == 0) {
                    Q_EMIT busyChanged();
                }
            });
}

void PrivacyRequests::clearRows()
{
    if (!m_rows.isEmpty()) {
        beginResetModel();
        m_rows.clear();
        endResetModel();
    }
}

void PrivacyRequests::fail(const QString& message)
{
    setError(message);
    Q_EMIT failed(message);
}

void PrivacyRequests::setError(const QString& error)
{
    if (error != m_error) {
        m_error = error;
        Q_EMIT errorChanged();
    }
}

void PrivacyRequests::setSearching(bool searching)
{
    if (searching != m_searching) {
        m_searching = searching;
        Q_EMIT busyChanged();
    }
}

QString PrivacyRequests::describe(int status, const QByteArray& body)
{
    const QString error =
        QJsonDocument::fromJson(body).object().value(QStringLiteral("error")).toString();
    switch (status) {
    case 400:
        // The server's own words: what it takes.
        return error.isEmpty() ? tr("The server did not accept the request.")
                               : tr("The server did not accept the request: %1").arg(error);
    case 401:
        return tr("Your sign-in has ended. Sign in again.");
    case 403:
        return tr("Only admins can answer customers' requests about their data.");
    case 404:
        return tr("There is no such customer in your organisation. Search again.");
    case 409:
        return tr("A call with this customer is under way. Erase their data once it has ended.");
    case 503:
        return tr("The server cannot reach its database just now. Try again in a moment.");
    case 0:
        return tr("Cannot reach the server.");
    default:
        return tr("The server could not answer (%1).").arg(status);
    }
}

} // namespace cc::app
