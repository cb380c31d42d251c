#include "app/models/providerwords.h"

#include <QCoreApplication>

namespace cc::app::providers {
namespace {

QString tr(const char* source)
{
    return QCoreApplication::translate("Providers", source);
}

} // namespace

QString displayName(const QString& provider)
{
    if (provider == QLatin1String("shopify")) {
        return QStringLiteral("Shopify");
    }
    if (provider == QLatin1String("square")) {
        return QStringLiteral("Square");
    }
    if (provider == QLatin1String("google_calendar")) {
        return QStringLiteral("Google Calendar");
    }
    return {};
}

QString providerIn(const QString& message)
{
    if (message.contains(QLatin1String("shopify"), Qt::CaseInsensitive)) {
        return QStringLiteral("shopify");
    }
    if (message.contains(QLatin1String("square"), Qt::CaseInsensitive)) {
        return QStringLiteral("square");
    }
    if (message.contains(QLatin1String("google"), Qt::CaseInsensitive)) {
        return QStringLiteral("google_calendar");
    }
    return {};
}

QString describeFailure(const QString& provider, const QString& kind, Audience audience)
{
    const QString name = displayName(provider);
    const bool staff = audience == Audience::Staff;
    // Sentences start with the name; without one, with what it is to the reader.
    const QString who =
        !name.isEmpty() ? name : (staff ? tr("The stock system") : tr("The provider"));
    if (kind == QLatin1String("unavailable")) {
        return staff ? tr("%1 is not answering right now. Try again in a minute, or check in the "
                          "stockroom.")
                           .arg(who)
                     : tr("%1 is not answering right now. Try again in a few minutes; if it "
                          "stays so, check the address (base URL).")
                           .arg(who);
    }
    if (kind == QLatin1String("rate_limited")) {
        return staff ? tr("%1 is busy right now (too many questions at once). Try again in a "
                          "minute.")
                           .arg(who)
                     : tr("%1 is limiting our requests right now. Try again in a minute.").arg(who);
    }
    if (kind == QLatin1String("unauthorized")) {
        if (staff) {
            return tr("%1 turned our sign-in down — ask your admin to check the connection.")
                .arg(who);
        }
        return provider == QLatin1String("google_calendar")
                   ? tr("%1 refused the credentials: check the client ID and secret, or enter a "
                        "new refresh token.")
                         .arg(who)
                   : tr("%1 refused the access token: enter a new one and save.").arg(who);
    }
    if (kind == QLatin1String("not_found")) {
        return staff ? tr("%1 does not know this store yet — ask your admin to link it.").arg(who)
                     : tr("%1 does not know one of the linked locations (or the shop): check "
                          "the address and the store links.")
                           .arg(who);
    }
    if (kind == QLatin1String("rejected")) {
        return staff
                   ? tr("%1 turned the question down — ask your admin to check the connection.")
                         .arg(who)
                   : tr("%1 refused the request: check the settings and the store links.").arg(who);
    }
    if (kind == QLatin1String("malformed")) {
        return staff ? tr("%1 sent an answer we cannot read. Try again in a minute.").arg(who)
                     : tr("%1 sent an answer the server cannot read: check the address (base "
                          "URL) and the API version.")
                           .arg(who);
    }
    if (kind == QLatin1String("circuit_open")) {
        return staff ? tr("%1 failed several times just now. Try again in a minute.").arg(who)
                     : tr("%1 failed several times just now; the server waits 30 seconds before "
                          "asking it again.")
                           .arg(who);
    }
    return staff ? tr("%1 could not answer. Try again in a minute.").arg(who)
                 : tr("%1 is not working.").arg(who);
}

} // namespace cc::app::providers
