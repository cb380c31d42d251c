#pragma once

#include <QString>

namespace cc::test {

// The people of the demo store, as the calls page tests see them.
struct DemoPeople {
    QString organisation = QStringLiteral("northwind");
    QString staff;   // Ana Lopez, staff at Main Street: a call rings for her
    QString manager; // Maya Patel, manager of Main Street and Harbour Point
    QString wrapUp;  // Tom Reyes, staff at Main Street, just finished a call from a new caller
};

// Writes a morning at a store into the offline caches of Ana, Maya and Tom under `folder` (the
// files SyncService::start opens for them): a call ringing for Ana from a known customer (found by
// her number), a new caller waiting, a call in progress with Ben, a call Tom just finished, the
// customer's history at both stores, and everyone's presence. Times are relative to now. Empty on
// success, else why not.
QString writeDemoCaches(const QString& folder, DemoPeople* people);

} // namespace cc::test
