#include "app/models/stockcheck.h"

#include "app/models/providerwords.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkReply>

#include <algorithm>

namespace cc::app {
namespace {

// What the server takes (server/net/http_integrations.cpp) and how much of its answer is read.
constexpr qsizetype kMaxItemBytes = 100;
constexpr qsizetype kMaxColours = 3;
constexpr qsizetype kMaxColourBytes = 30;
constexpr qsizetype kMaxSizeBytes = 20;
constexpr qint64 kMaxAnswerBytes = 512 * 1024;
constexpr qsizetype kMaxLines = 250;
constexpr qsizetype kMaxTextChars = 200;
constexpr qsizetype kMaxSummaryChars = 1000;
constexpr qint64 kMaxQuantity = 1000000000;
constexpr int kSlowAfterMs = 2500;

} // namespace

StockCheck::StockCheck(QObject* parent)
    : QObject(parent)
{
    m_slowTimer.setSingleShot(true);
    m_slowTimer.setInterval(kSlowAfterMs);
    connect(&m_slowTimer, &QTimer::timeout, this, [this] {
        if (m_state == State::Checking) {
            m_slow = true;
            Q_EMIT stateChanged();
        }
    });
}

StockCheck::~StockCheck()
{
    drop();
}

void StockCheck::setSession(Session* session)
{
    if (session != m_session) {
        m_session = session;
        Q_EMIT sessionChanged();
    }
}

void StockCheck::setStoreId(const QString& storeId)
{
    if (storeId != m_storeId) {
        m_storeId = storeId;
        Q_EMIT inputChanged();
    }
}

void StockCheck::setItem(const QString& item)
{
    if (item != m_item) {
        m_item = item;
        Q_EMIT inputChanged();
    }
}

void StockCheck::setColours(const QStringList& colours)
{
    if (colours != m_colours) {
        m_colours = colours;
        Q_EMIT inputChanged();
    }
}

void StockCheck::setSize(const QString& size)
{
    if (size != m_size) {
        m_size = size;
        Q_EMIT inputChanged();
    }
}

QString StockCheck::providerName() const
{
    return providers::displayName(m_provider);
}

QStringList StockCheck::normaliseColours(const QStringList& colours, QString* error)
{
    QStringList out;
    for (const auto& c : colours) {
        const QString colour = c.trimmed().toLower();
        if (colour.isEmpty() || out.contains(colour)) {
            continue;
        }
        if (colour.toUtf8().size() > kMaxColourBytes) {
            *error = tr("“%1” is too long for a colour.").arg(colour.left(40));
            return {};
        }
        out << colour;
    }
    if (out.size() > kMaxColours) {
        *error = tr("At most %1 colours at a time.").arg(kMaxColours);
        return {};
    }
    error->clear();
    return out;
}

QString StockCheck::questionText() const
{
    QString ignored;
    QStringList words{m_item.simplified()};
    words += normaliseColours(m_colours, &ignored);
    if (const QString size = m_size.trimmed(); !size.isEmpty()) {
        words << tr("size %1").arg(size.toUpper());
    }
    words.removeAll(QString());
    return words.join(QStringLiteral(" · "));
}

void StockCheck::check()
{
    drop();
    const QString item = m_item.simplified();
    const QString size = m_size.trimmed();
    QString problem;
    const QStringList colours = normaliseColours(m_colours, &problem);
    if (m_session == nullptr || m_session->state() != Session::State::SignedIn) {
        problem = tr("Sign in first.");
    } else if (m_storeId.isEmpty()) {
        problem = tr("Choose the store to check.");
    } else if (item.isEmpty()) {
        problem = tr("Enter what the customer is looking for.");
    } else if (item.toUtf8().size() > kMaxItemBytes) {
        problem = tr("Keep the item short: at most %1 characters.").arg(kMaxItemBytes);
    } else if (size.toUtf8().size() > kMaxSizeBytes) {
        problem = tr("Enter a size like S, M, XL or 42.");
    }
    if (!problem.isEmpty()) {
        fail(problem);
        return;
    }
    QJsonObject body{{QStringLiteral("store_id"), m_storeId}, {QStringLiteral("item"), item}};
    if (!colours.isEmpty()) {
        body.insert(QStringLiteral("colours"), QJsonArray::fromStringList(colours));
    }
    if (!size.isEmpty()) {
        body.insert(QStringLiteral("size"), size);
    }
    QNetworkReply* reply = m_session->apiPost(QStringLiteral("/v1/stock"), body);
    if (reply == nullptr) {
        fail(tr("Sign in first."));
        return;
    }
    m_reply = reply;
    m_question = questionText();
    m_state = State::Checking;
    m_slow = false;
    m_error.clear();
    m_lines.clear();
    m_summary.clear();
    m_truncated = false;
    m_inStockHere = 0;
    m_slowTimer.start();
    Q_EMIT stateChanged();
    connect(reply, &QNetworkReply::finished, this, [this, reply] {
        reply->deleteLater();
        if (reply != m_reply) {
            return; // cancelled, or another check since
        }
        m_reply = nullptr;
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (status == 0 && (reply->error() == QNetworkReply::OperationCanceledError ||
                            reply->error() == QNetworkReply::TimeoutError)) {
            fail(tr("The server did not answer in time. Try again in a minute."));
            return;
        }
        takeAnswer(status, reply->read(kMaxAnswerBytes));
    });
}

void StockCheck::cancel()
{
    drop();
    if (m_state == State::Checking) {
        m_state = State::Idle;
        m_slow = false;
        Q_EMIT stateChanged();
    }
}

void StockCheck::drop()
{
    m_slowTimer.stop();
    if (QNetworkReply* reply = m_reply) {
        m_reply = nullptr;
        reply->disconnect(this);
        reply->abort();
        reply->deleteLater();
    }
}

void StockCheck::fail(const QString& error)
{
    m_slowTimer.stop();
    m_state = State::Failed;
    m_slow = false;
    m_error = error;
    m_lines.clear();
    m_summary.clear();
    m_truncated = false;
    m_inStockHere = 0;
    Q_EMIT stateChanged();
}

void StockCheck::takeAnswer(int status, const QByteArray& body)
{
    const QJsonObject o = QJsonDocument::fromJson(body).object();
    const QString kind = o.value(QStringLiteral("error")).toString().left(kMaxTextChars);
    const QString message = o.value(QStringLiteral("message")).toString().left(kMaxTextChars);
    if (status != 200) {
        const QString named = providers::providerIn(message);
        const QString provider = named.isEmpty() ? m_provider : named;
        switch (status) {
        case 0:
            fail(tr("Cannot reach the server: check the connection, then try again."));
            return;
        case 400:
            fail(kind.isEmpty() ? tr("The question was not accepted: check the item, colour and "
                                     "size.")
                                : tr("The question was not accepted: %1.").arg(kind));
            return;
        case 401:
            fail(tr("Your sign-in has ended. Sign in again."));
            return;
        case 403:
            fail(tr("Your role may not check stock."));
            return;
        case 404:
            fail(kind == QLatin1String("not_found")
                     ? providers::describeFailure(provider, kind, providers::Audience::Staff)
                     : tr("You can only check stock for the stores you work in."));
            return;
        case 409:
            fail(tr("No stock system is connected — ask your admin."));
            return;
        case 429:
            fail(tr("Too many checks at once: try again in a few seconds."));
            return;
        case 502:
        case 503:
            fail(providers::describeFailure(provider, kind, providers::Audience::Staff));
            return;
        default:
            fail(tr("The server could not check stock (%1). Try again in a minute.").arg(status));
            return;
        }
    }
    const QJsonValue lines = o.value(QStringLiteral("lines"));
    const QJsonValue summary = o.value(QStringLiteral("summary"));
    if (!lines.isArray() || !summary.isString()) {
        fail(tr("The server sent an answer this app cannot read."));
        return;
    }
    QVariantList in;
    QVariantList out;
    int inStock = 0;
    const QJsonArray all = lines.toArray();
    for (const auto& value : all) {
        if (in.size() + out.size() >= kMaxLines) {
            break;
        }
        const QJsonObject l = value.toObject();
        const QString product = l.value(QStringLiteral("product")).toString().left(kMaxTextChars);
        if (!value.isObject() || product.isEmpty()) {
            fail(tr("The server sent an answer this app cannot read."));
            return;
        }
        const qint64 available = std::clamp<qint64>(
            static_cast<qint64>(l.value(QStringLiteral("available")).toDouble()), 0, kMaxQuantity);
        const bool here = l.value(QStringLiteral("stocked_here")).toBool();
        const bool has = here && available > 0;
        QString variant = l.value(QStringLiteral("variant")).toString().left(kMaxTextChars);
        if (variant.compare(QLatin1String("Default Title"), Qt::CaseInsensitive) == 0) {
            variant.clear(); // Shopify's name for a product without options
        }
        const QVariantMap line{
            {QStringLiteral("product"), product},
            {QStringLiteral("variant"), variant},
            {QStringLiteral("sku"), l.value(QStringLiteral("sku")).toString().left(kMaxTextChars)},
            {QStringLiteral("available"), available},
            {QStringLiteral("stockedHere"), here},
            {QStringLiteral("inStock"), has},
            {QStringLiteral("availability"),
             has    ? tr("%n in stock", nullptr, static_cast<int>(available))
             : here ? tr("Out of stock")
                    : tr("Not sold at this store")},
        };
        if (has) {
            ++inStock;
            in.push_back(line);
        } else {
            out.push_back(line);
        }
    }
    m_slowTimer.stop();
    m_state = State::Done;
    m_slow = false;
    m_error.clear();
    m_lines = in + out;
    m_inStockHere = inStock;
    m_truncated = o.value(QStringLiteral("truncated")).toBool() || all.size() > m_lines.size();
    m_summary = summary.toString().left(kMaxSummaryChars);
    if (m_question.isEmpty()) {
        m_question = questionText(); // an answer given without check()
    }
    const QString provider = o.value(QStringLiteral("provider")).toString();
    if (!providers::displayName(provider).isEmpty()) {
        m_provider = provider;
    }
    Q_EMIT stateChanged();
}

} // namespace cc::app
