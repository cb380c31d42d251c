#include "app/analytics/liveanalytics.h"

#include "app/analytics/figuretext.h"

#include <QLocale>

#include <algorithm>

namespace cc::app {
namespace {

// The hours every store's chart shows, whether calls came or not: a shop's day.
constexpr int kFirstShopHour = 8;
constexpr int kLastShopHour = 19;

} // namespace

LiveAnalytics::LiveAnalytics(QObject* parent)
    : QObject(parent)
{
    m_clock.setInterval(std::chrono::seconds(1));
    connect(&m_clock, &QTimer::timeout, this, &LiveAnalytics::tick);
    refresh();
}

LiveAnalytics::~LiveAnalytics()
{
    follow(nullptr, {}, false);
}

void LiveAnalytics::setFeed(AnalyticsFeed* feed)
{
    if (feed == m_feed) {
        return;
    }
    if (m_feed) {
        m_feed->disconnect(this);
    }
    follow(nullptr, {}, false);
    m_feed = feed;
    if (m_feed) {
        connect(m_feed, &AnalyticsFeed::updated, this, [this](const QString& key) {
            if (key == this->key()) {
                refresh();
            }
        });
        connect(m_feed, &AnalyticsFeed::cleared, this, &LiveAnalytics::refresh);
        connect(m_feed, &AnalyticsFeed::connectedChanged, this, &LiveAnalytics::tick);
        connect(m_feed, &QObject::destroyed, this, [this] {
            m_watching = false;
            refresh();
        });
    }
    follow(m_feed, key(), true);
    Q_EMIT feedChanged();
    refresh();
}

void LiveAnalytics::setStoreId(const QString& storeId)
{
    if (storeId == m_storeId) {
        return;
    }
    m_storeId = storeId;
    follow(m_feed, key(), true);
    Q_EMIT storeIdChanged();
    refresh();
}

void LiveAnalytics::setOrganisation(bool organisation)
{
    if (organisation == m_organisation) {
        return;
    }
    m_organisation = organisation;
    follow(m_feed, key(), true);
    Q_EMIT organisationChanged();
    refresh();
}

// Tells the feed what this object watches: nothing without a store (unless it is the
// organisation's).
void LiveAnalytics::follow(AnalyticsFeed* feed, const QString& key, bool watch)
{
    if (m_watching && m_feed) {
        m_feed->unwatch(m_watchedKey);
    }
    m_watching = false;
    if (watch && feed != nullptr && (m_organisation || !key.isEmpty())) {
        feed->watch(key);
        m_watching = true;
        m_watchedKey = key;
    }
}

void LiveAnalytics::refresh()
{
    const AnalyticsFeed::Entry* entry = nullptr;
    if (m_feed && (m_organisation || !m_storeId.isEmpty())) {
        entry = m_feed->find(key());
    }
    m_entry = entry != nullptr ? *entry : AnalyticsFeed::Entry{};
    m_figures = cc::analytics::figuresOf(m_entry.update.totals);
    if (hasData()) {
        m_clock.start();
    } else {
        m_clock.stop();
    }
    Q_EMIT figuresChanged();
    m_freshness.clear(); // tick() says it again
    tick();
}

void LiveAnalytics::tick()
{
    // The longest wait on the server's clock: the update says how long it was when it was taken;
    // while live, the time since it arrived adds to it (no trust in this device's clock time).
    int longest = 0;
    const auto& u = m_entry.update;
    if (hasData() && u.waiting > 0 && u.oldestWaitingMs > 0) {
        qint64 ms = u.asOfMs - u.oldestWaitingMs;
        if (m_entry.live) {
            ms += std::max<qint64>(QDateTime::currentMSecsSinceEpoch() - m_entry.receivedAtMs, 0);
        }
        longest = static_cast<int>(std::clamp<qint64>(ms / 1000, 0, INT32_MAX));
    }
    if (longest != m_longestWait) {
        m_longestWait = longest;
        Q_EMIT clockChanged();
    }

    QString freshness;
    if (!hasData()) {
        freshness = m_feed && m_feed->connected() ? tr("Waiting for today's figures…")
                                                  : tr("No figures yet");
    } else if (m_entry.live) {
        freshness = tr("Live");
    } else {
        const QDateTime at = asOf();
        const QString when = at.date() == QDate::currentDate()
                                 ? QLocale().toString(at.time(), QLocale::ShortFormat)
                                 : QLocale().toString(at, QStringLiteral("ddd d MMM ")) +
                                       QLocale().toString(at.time(), QLocale::ShortFormat);
        freshness = tr("As of %1 · %2").arg(when, describeAge(ageSeconds()));
    }
    if (freshness != m_freshness) {
        m_freshness = freshness;
        Q_EMIT freshnessChanged();
    }
}

int LiveAnalytics::ageSeconds() const
{
    if (!hasData()) {
        return 0;
    }
    const qint64 ms = QDateTime::currentMSecsSinceEpoch() - m_entry.receivedAtMs;
    return static_cast<int>(std::clamp<qint64>(ms / 1000, 0, INT32_MAX));
}

QString LiveAnalytics::describeAge(qint64 seconds)
{
    if (seconds < 10) {
        return tr("just now");
    }
    if (seconds < 60) {
        return tr("%1 s ago").arg(seconds);
    }
    if (seconds < 3600) {
        return tr("%1 min ago").arg(seconds / 60);
    }
    if (seconds < 48 * 3600) {
        return tr("%1 h ago").arg(seconds / 3600);
    }
    return tr("%1 days ago").arg(seconds / 86400);
}

QDateTime LiveAnalytics::asOf() const
{
    // When it reached this device, on its clock: what "3 min ago" counts from.
    return hasData() ? QDateTime::fromMSecsSinceEpoch(m_entry.receivedAtMs) : QDateTime();
}

QString LiveAnalytics::answeredText() const
{
    return tr("%1 / %2").arg(figures::count(answered()), figures::count(offered()));
}

QString LiveAnalytics::longestWaitText() const
{
    return waiting() > 0 ? figures::clock(m_longestWait) : figures::none();
}

LiveAnalytics::Tone LiveAnalytics::waitTone() const
{
    if (!hasData()) {
        return Tone::Neutral;
    }
    const int threshold = serviceLevelSeconds();
    if (waiting() == 0 || m_longestWait <= threshold) {
        return Tone::Good;
    }
    return m_longestWait <= 3 * threshold ? Tone::Fair : Tone::Poor;
}

double LiveAnalytics::serviceLevel() const
{
    return figures::raw(m_figures.serviceLevel);
}

QString LiveAnalytics::serviceLevelText() const
{
    return figures::percent(m_figures.serviceLevel);
}

LiveAnalytics::Tone LiveAnalytics::serviceLevelToneOf(std::optional<double> serviceLevel)
{
    if (!serviceLevel) {
        return Tone::Neutral;
    }
    const double sl = *serviceLevel;
    return sl >= kServiceLevelGood ? Tone::Good : sl >= kServiceLevelFair ? Tone::Fair : Tone::Poor;
}

LiveAnalytics::Tone LiveAnalytics::abandonToneOf(std::optional<double> abandonRate)
{
    if (!abandonRate) {
        return Tone::Neutral;
    }
    const double rate = *abandonRate;
    return rate <= kAbandonGood ? Tone::Good : rate <= kAbandonFair ? Tone::Fair : Tone::Poor;
}

LiveAnalytics::Tone LiveAnalytics::serviceLevelTone() const
{
    return serviceLevelToneOf(m_figures.serviceLevel);
}

double LiveAnalytics::abandonRate() const
{
    return figures::raw(m_figures.abandonRate);
}

QString LiveAnalytics::abandonRateText() const
{
    return figures::percent(m_figures.abandonRate);
}

LiveAnalytics::Tone LiveAnalytics::abandonTone() const
{
    return abandonToneOf(m_figures.abandonRate);
}

double LiveAnalytics::asaSeconds() const
{
    return figures::raw(m_figures.asaSeconds);
}

QString LiveAnalytics::asaText() const
{
    return figures::duration(m_figures.asaSeconds);
}

double LiveAnalytics::ahtSeconds() const
{
    return figures::raw(m_figures.ahtSeconds);
}

QString LiveAnalytics::ahtText() const
{
    return figures::duration(m_figures.ahtSeconds);
}

double LiveAnalytics::fcrRate() const
{
    return figures::raw(m_figures.fcrRate);
}

QString LiveAnalytics::fcrText() const
{
    return figures::percent(m_figures.fcrRate);
}

QPair<int, int> LiveAnalytics::hourRange() const
{
    int first = kFirstShopHour;
    int last = kLastShopHour;
    const auto& hours = m_entry.update.hours;
    for (int h = 0; h < static_cast<int>(hours.size()); ++h) {
        if (!hours[static_cast<std::size_t>(h)].empty()) {
            first = std::min(first, h);
            last = std::max(last, h);
        }
    }
    return {first, last};
}

QStringList LiveAnalytics::hourLabels() const
{
    QStringList labels;
    const auto [first, last] = hourRange();
    for (int h = first; h <= last; ++h) {
        labels << QStringLiteral("%1").arg(h, 2, 10, QLatin1Char('0'));
    }
    return labels;
}

QVariantList LiveAnalytics::hourlyOffered() const
{
    QVariantList values;
    const auto [first, last] = hourRange();
    const auto& hours = m_entry.update.hours;
    for (int h = first; h <= last; ++h) {
        values << (h < static_cast<int>(hours.size())
                       ? count(hours[static_cast<std::size_t>(h)].offered)
                       : 0);
    }
    return values;
}

QVariantList LiveAnalytics::hourlyAnswered() const
{
    QVariantList values;
    const auto [first, last] = hourRange();
    const auto& hours = m_entry.update.hours;
    for (int h = first; h <= last; ++h) {
        values << (h < static_cast<int>(hours.size())
                       ? count(hours[static_cast<std::size_t>(h)].answered)
                       : 0);
    }
    return values;
}

int LiveAnalytics::hourlyMaximum() const
{
    std::int64_t most = 0;
    for (const auto& h : m_entry.update.hours) {
        most = std::max({most, h.offered, h.answered});
    }
    return count(most);
}

} // namespace cc::app
