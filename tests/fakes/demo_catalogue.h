#pragma once

// The demo's provider data: a small clothing and shoe shop with four stores, the same catalogue
// in Shopify (locations gid://shopify/Location/1..4) and Square (locations L1..L4), one Google
// calendar per store (store-<n>@calendar.example) with a few appointments, and fixed
// credentials so that a script can configure the product from one JSON line.

#include "tests/fakes/provider_fakes.h"

#include <string>

namespace cc::fakes {

inline constexpr int kDemoStores = 4;

void loadDemoCatalogue(ProviderFakes& fakes);

// One line of JSON (no newline) with the base URL, the credentials, and per store its Shopify
// location, Square location and calendar. Call once the fakes listen.
std::string demoConfiguration(const ProviderFakes& fakes);

} // namespace cc::fakes
