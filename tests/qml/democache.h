#pragma once

#include <QString>

namespace cc::test {

// The people of the demo store, as the calls page tests see them.
struct DemoPeople {
    QString organisation = QStringLiteral("northwind");
    QString staff;   // Ana Lopez, staff at Main Street: a call rings for her
    QString manager; // Maya Patel, manager of Main Street and Harbour Point
    QString wrapUp;  // Tom Reyes, staff at Main Street, just finished a call from a new caller
    QString onCall;  // Jo Kim, staff at Riverside (a store nobody else sees), on a call
    QString booking; // Rosa Diaz, staff at Riverside: Carmen Ortiz rings her (books, checks stock)
    QString ben, sam, priya;                // staff at Main Street
    QString mainStreet, harbour, riverside; // the stores
    QString carmen;                         // a customer
};

// Writes a morning at a store into the offline caches of Ana, Maya, Tom, Jo and Rosa under
// `folder` (the files SyncService::start opens for them): a call ringing for Ana from a known
// customer (found by her number), a new caller waiting, a call in progress with Ben, a call Tom
// just finished, the customer's history at both stores, upcoming appointments (one asked for on
// the phone, one the calendar refused), and everyone's presence. Times are relative to now.
// Empty on success, else why not.
QString writeDemoCaches(const QString& folder, DemoPeople* people);

// What the server then says about Jo's calls, written into his cache under `folder` as a page of
// changes would (a SyncService with the file open sees it once it opens the file again): the
// caller he is talking with hangs up (the call is over and wants its outcome), or a new call
// rings for him. Empty on success, else why not.
QString endJosCall(const QString& folder, const DemoPeople& people);
QString ringJo(const QString& folder, const DemoPeople& people);

} // namespace cc::test
