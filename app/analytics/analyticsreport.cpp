#include "app/analytics/analyticsreport.h"

#include "app/analytics/figuretext.h"
#include "app/analytics/liveanalytics.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QLocale>
#include <QNetworkReply>
#include <QPointF>
#include <QSaveFile>
#include <QStandardPaths>
#include <QThreadPool>

#include <algorithm>
#include <cmath>

namespace cc::app {
namespace {

constexpr qint64 kMaxCsv = 32 * 1024 * 1024;

bool isRatio(int role)
{
    return role == AnalyticsReport::ServiceLevelRole || role == AnalyticsReport::AbandonRateRole ||
           role == AnalyticsReport::FcrRole || role == AnalyticsReport::CallbackRateRole;
}

// Lower is better: these sort lowest first.
bool lowerFirst(int role)
{
    return role == AnalyticsReport::LabelRole || role == AnalyticsReport::KeyRole ||
           role == AnalyticsReport::AsaRole || role == AnalyticsReport::AhtRole ||
           role == AnalyticsReport::AbandonRateRole || role == AnalyticsReport::AbandonedRole ||
           role == AnalyticsReport::MissedRole || role == AnalyticsReport::TimeRole;
}

// A text role sorts by the number it shows.
int numberRoleOf(int role)
{
    switch (role) {
    case AnalyticsReport::ServiceLevelTextRole:
    case AnalyticsReport::ServiceLevelToneRole:
        return AnalyticsReport::ServiceLevelRole;
    case AnalyticsReport::AbandonRateTextRole:
        return AnalyticsReport::AbandonRateRole;
    case AnalyticsReport::AsaTextRole:
        return AnalyticsReport::AsaRole;
    case AnalyticsReport::AhtTextRole:
        return AnalyticsReport::AhtRole;
    case AnalyticsReport::FcrTextRole:
        return AnalyticsReport::FcrRole;
    case AnalyticsReport::CallbackRateTextRole:
        return AnalyticsReport::CallbackRateRole;
    default:
        return role;
    }
}

QString plural(const QString& by)
{
    if (by == QLatin1String("store")) {
        return QStringLiteral("stores");
    }
    if (by == QLatin1String("region")) {
        return QStringLiteral("regions");
    }
    if (by == QLatin1String("person")) {
        return QStringLiteral("people");
    }
    if (by == QLatin1String("day")) {
        return QStringLiteral("days");
    }
    if (by == QLatin1String("hour")) {
        return QStringLiteral("hours");
    }
    return by;
}

} // namespace

AnalyticsReport::AnalyticsReport(QObject* parent)
    : AnalyticsQueryModel(parent)
{}

int AnalyticsReport::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

QVariant AnalyticsReport::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
        return {};
    }
    if (role == RankRole) {
        return index.row() + 1;
    }
    return value(m_rows.at(index.row()), role == Qt::DisplayRole ? LabelRole : role);
}

QVariant AnalyticsReport::value(const reports::Row& row, int role) const
{
    const cc::analytics::Counters& c = row.counters;
    const auto n = [](std::int64_t v) { return QVariant::fromValue(static_cast<qlonglong>(v)); };
    switch (role) {
    case KeyRole:
        return row.key;
    case LabelRole: {
        if (m_by == QLatin1String("day")) {
            const QDate day = QDate::fromString(row.key, Qt::ISODate);
            return day.isValid() ? QLocale().toString(day, QStringLiteral("ddd d MMM")) : row.key;
        }
        if (m_by == QLatin1String("hour")) {
            return QStringLiteral("%1:00").arg(row.key.toInt(), 2, 10, QLatin1Char('0'));
        }
        if (const auto slot = reports::weekdayHourOf(row.key)) {
            return QStringLiteral("%1 %2:00")
                .arg(QLocale().dayName(slot->first, QLocale::ShortFormat))
                .arg(slot->second, 2, 10, QLatin1Char('0'));
        }
        return row.label.isEmpty() ? row.key : row.label;
    }
    case OfferedRole:
        return n(c.offered);
    case AnsweredRole:
        return n(c.answered);
    case AbandonedRole:
        return n(c.abandoned);
    case MissedRole:
        return n(c.missed);
    case CallbacksRole:
        return n(c.callbacks);
    case SelfServedRole:
        return n(c.selfServed);
    case OutboundRole:
        return n(c.outbound);
    case AnsweredElsewhereRole:
        return n(c.answeredElsewhere);
    case ServiceLevelRole:
        return figures::raw(cc::analytics::figuresOf(c).serviceLevel);
    case ServiceLevelTextRole:
        return figures::percent(cc::analytics::figuresOf(c).serviceLevel);
    case ServiceLevelToneRole:
        return static_cast<int>(
            LiveAnalytics::serviceLevelToneOf(cc::analytics::figuresOf(c).serviceLevel));
    case AbandonRateRole:
        return figures::raw(cc::analytics::figuresOf(c).abandonRate);
    case AbandonRateTextRole:
        return figures::percent(cc::analytics::figuresOf(c).abandonRate);
    case AsaRole:
        return figures::raw(cc::analytics::figuresOf(c).asaSeconds);
    case AsaTextRole:
        return figures::duration(cc::analytics::figuresOf(c).asaSeconds);
    case AhtRole:
        return figures::raw(cc::analytics::figuresOf(c).ahtSeconds);
    case AhtTextRole:
        return figures::duration(cc::analytics::figuresOf(c).ahtSeconds);
    case FcrRole:
        return figures::raw(cc::analytics::figuresOf(c).fcrRate);
    case FcrTextRole:
        return figures::percent(cc::analytics::figuresOf(c).fcrRate);
    case CallbackRateRole:
        return figures::raw(row.callbackRate);
    case CallbackRateTextRole:
        return figures::percent(row.callbackRate);
    case TimeRole: {
        if (m_by == QLatin1String("day")) {
            const QDate day = QDate::fromString(row.key, Qt::ISODate);
            return day.isValid()
                       ? QVariant(static_cast<double>(day.startOfDay().toMSecsSinceEpoch()))
                       : QVariant();
        }
        if (m_by == QLatin1String("hour")) {
            return row.key.toDouble();
        }
        return {};
    }
    default:
        return {};
    }
}

QHash<int, QByteArray> AnalyticsReport::roleNames() const
{
    return {{KeyRole, "key"},
            {LabelRole, "label"},
            {RankRole, "rank"},
            {OfferedRole, "offered"},
            {AnsweredRole, "answered"},
            {AbandonedRole, "abandoned"},
            {MissedRole, "missed"},
            {CallbacksRole, "callbacks"},
            {SelfServedRole, "selfServed"},
            {OutboundRole, "outbound"},
            {AnsweredElsewhereRole, "answeredElsewhere"},
            {ServiceLevelRole, "serviceLevel"},
            {ServiceLevelTextRole, "serviceLevelText"},
            {ServiceLevelToneRole, "serviceLevelTone"},
            {AbandonRateRole, "abandonRate"},
            {AbandonRateTextRole, "abandonRateText"},
            {AsaRole, "asa"},
            {AsaTextRole, "asaText"},
            {AhtRole, "aht"},
            {AhtTextRole, "ahtText"},
            {FcrRole, "fcr"},
            {FcrTextRole, "fcrText"},
            {CallbackRateRole, "callbackRate"},
            {CallbackRateTextRole, "callbackRateText"},
            {TimeRole, "time"}};
}

void AnalyticsReport::setBy(const QString& by)
{
    if (by == m_by) {
        return;
    }
    m_by = by;
    Q_EMIT byChanged();
    // Rows of another grouping mean nothing now.
    beginResetModel();
    m_rows.clear();
    m_serverOrder.clear();
    m_totals = {};
    endResetModel();
    Q_EMIT reportChanged();
    queryChangedInternally();
}

void AnalyticsReport::setSortRole(const QString& role)
{
    if (role == m_sortRole) {
        return;
    }
    m_sortRole = role;
    sortRows();
    Q_EMIT sortChanged();
}

void AnalyticsReport::setDescending(bool descending)
{
    if (descending == m_descending) {
        return;
    }
    m_descending = descending;
    sortRows();
    Q_EMIT sortChanged();
}

void AnalyticsReport::sortBy(const QString& role)
{
    if (role == m_sortRole) {
        m_descending = !m_descending;
    } else {
        m_sortRole = role;
        m_descending = !lowerFirst(numberRoleOf(roleNames().key(role.toUtf8(), -1)));
    }
    sortRows();
    Q_EMIT sortChanged();
}

void AnalyticsReport::sortRows()
{
    beginResetModel();
    m_rows = m_serverOrder;
    const int role = numberRoleOf(roleNames().key(m_sortRole.toUtf8(), -1));
    if (role > 0 && role != RankRole) {
        const bool descending = m_descending;
        std::stable_sort(m_rows.begin(), m_rows.end(),
                         [this, role, descending](const reports::Row& a, const reports::Row& b) {
                             const QVariant va = value(a, role);
                             const QVariant vb = value(b, role);
                             if (va.typeId() == QMetaType::QString) {
                                 const int c = va.toString().localeAwareCompare(vb.toString());
                                 return descending ? c > 0 : c < 0;
                             }
                             const double x = va.isValid() ? va.toDouble() : std::nan("");
                             const double y = vb.isValid() ? vb.toDouble() : std::nan("");
                             // Rows without a figure go last, whichever the order.
                             if (std::isnan(x) || std::isnan(y)) {
                                 return !std::isnan(x) && std::isnan(y);
                             }
                             return descending ? x > y : x < y;
                         });
    }
    endResetModel();
}

void AnalyticsReport::take(reports::Report report)
{
    m_serverOrder = std::move(report.rows);
    m_totals = std::move(report.totals);
    sortRows();
}

QVariantMap AnalyticsReport::totals() const
{
    QVariantMap out;
    const auto names = roleNames();
    for (auto it = names.begin(); it != names.end(); ++it) {
        if (it.key() != RankRole && it.key() != TimeRole) {
            out.insert(QString::fromUtf8(it.value()), value(m_totals, it.key()));
        }
    }
    return out;
}

QVariantList AnalyticsReport::points(const QString& role) const
{
    QVariantList out;
    const int r = numberRoleOf(roleNames().key(role.toUtf8(), -1));
    if (r <= 0) {
        return out;
    }
    const bool timed = m_by == QLatin1String("day") || m_by == QLatin1String("hour");
    for (qsizetype i = 0; i < m_serverOrder.size(); ++i) {
        const QVariant v = value(m_serverOrder.at(i), r);
        if (!v.isValid() || std::isnan(v.toDouble())) {
            continue;
        }
        const double x =
            timed ? value(m_serverOrder.at(i), TimeRole).toDouble() : static_cast<double>(i);
        out << QPointF(x, isRatio(r) ? v.toDouble() * 100.0 : v.toDouble());
    }
    return out;
}

double AnalyticsReport::maximum(const QString& role) const
{
    double most = 0;
    for (const auto& p : points(role)) {
        most = std::max(most, p.toPointF().y());
    }
    return most;
}

QString AnalyticsReport::suggestedExportPath() const
{
    QString folder = QStandardPaths::writableLocation(QStandardPaths::DownloadLocation);
    if (folder.isEmpty()) {
        folder = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    }
    if (folder.isEmpty()) {
        folder = QDir::homePath();
    }
    return QDir(folder).filePath(
        QStringLiteral("callcommander-%1-%2-to-%3.csv").arg(plural(m_by), from(), to()));
}

void AnalyticsReport::exportCsv(const QString& path)
{
    if (m_exporting) {
        return;
    }
    const QString target = path.isEmpty() ? suggestedExportPath() : path;
    const reports::Query q = query();
    if (const QString problem = reports::problemWith(q); !problem.isEmpty()) {
        finishExport(problem, true);
        return;
    }
    QNetworkReply* reply =
        session() != nullptr ? session()->apiGet(reports::pathOf(q, true)) : nullptr;
    if (reply == nullptr) {
        finishExport(tr("Sign in first."), true);
        return;
    }
    m_exporting = true;
    m_exportMessage.clear();
    Q_EMIT exportChanged();
    const quint64 request = ++m_export;
    connect(reply, &QNetworkReply::finished, this, [this, reply, request, target] {
        reply->deleteLater();
        if (request != m_export) {
            return;
        }
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (status != 200) {
            finishExport(describe(status), true);
            return;
        }
        QByteArray body = reply->read(kMaxCsv);
        if (!reply->atEnd()) {
            finishExport(tr("The file is too large to save; choose fewer days or stores."), true);
            return;
        }
        // The disk on a worker thread; the answer comes back to this one (the application
        // object outlives every model, and `guard` says whether this one still exists).
        QThreadPool::globalInstance()->start([guard = QPointer<AnalyticsReport>(this), target,
                                              body = std::move(body), request] {
            QDir().mkpath(QFileInfo(target).absolutePath());
            QSaveFile file(target);
            QString failure;
            if (!file.open(QIODevice::WriteOnly) || file.write(body) != body.size() ||
                !file.commit()) {
                failure = file.errorString();
            }
            QMetaObject::invokeMethod(
                QCoreApplication::instance(),
                [guard, target, failure, request] {
                    if (!guard || request != guard->m_export) {
                        return;
                    }
                    if (failure.isEmpty()) {
                        guard->finishExport(tr("Saved to %1").arg(QDir::toNativeSeparators(target)),
                                            false);
                    } else {
                        guard->finishExport(tr("Could not save %1: %2").arg(target, failure), true);
                    }
                },
                Qt::QueuedConnection);
        });
    });
}

void AnalyticsReport::finishExport(const QString& message, bool failed)
{
    m_exporting = false;
    m_exportMessage = message;
    m_exportFailed = failed;
    Q_EMIT exportChanged();
}

} // namespace cc::app
