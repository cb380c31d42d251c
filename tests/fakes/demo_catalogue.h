#pragma once

// The demo's provider data: a small clothing and shoe shop with twelve stores, the same catalogue
// in Shopify (locations gid://shopify/Location/1..12) and Square (locations L1..L12), one Google
// calendar per store (store-<n>@calendar.example) with a few appointments, and fixed
// credentials so that a script can configure the product from one JSON line.

#include "tests/fakes/provider_fakes.h"

#include <string>

namespace cc::fakes {

inline constexpr int kDemoStores = 12; // as many as Northwind, the demo organisation, has

void loadDemoCatalogue(ProviderFakes& fakes);

// One line of JSON (no newline) with the base URL, the credentials, and per store its Shopify
// location, Square location and calendar. Call once the fakes listen.
std::string demoConfiguration(const ProviderFakes& fakes);

} // namespace cc::fakes
