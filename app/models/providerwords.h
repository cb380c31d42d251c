#pragma once

#include <QString>

// The words people read about the outside providers (Shopify, Square, Google Calendar): their
// names and what a failure the server reports (docs/integrations.md: unavailable, rate_limited,
// unauthorized, not_found, rejected, malformed, circuit_open) means for the person reading it.
// Staff checking stock are told what to do next at the counter; admins what to fix.
namespace cc::app::providers {

// "shopify" -> "Shopify", "square" -> "Square", "google_calendar" -> "Google Calendar"; empty
// for anything else.
QString displayName(const QString& provider);

// The provider a server message speaks of ("Shopify refused the access token", "this store has
// no location at square"), or empty when it names none.
QString providerIn(const QString& message);

enum class Audience { Staff, Admin };

// What a provider failure of `kind` means. `provider` may be empty (not known): the words then
// speak of "the stock system" or "the provider".
QString describeFailure(const QString& provider, const QString& kind, Audience audience);

} // namespace cc::app::providers
