#pragma once

#include "shared/protocol/messages.h"
#include "tests/qml/democache.h"

#include <QByteArray>
#include <QDate>
#include <QString>

// The figures the dashboards' tests show, as the server would send them: live updates of the
// demo stores' day so far and the organisation's, and answers to GET /v1/analytics. Numbers are
// made up but consistent (a busy chain of 12 stores in 3 regions; quieter weekends; lunch and
// after-work peaks).
namespace cc::test {

// Main Street's day so far (Ana, Ben, Sam, Priya, Tom and Maya answering; two callers waiting,
// the longest for 48 s), taken `nowMs`.
protocol::AnalyticsUpdate demoStoreToday(const DemoPeople& people, qint64 nowMs);
// Harbour Point's: quieter.
protocol::AnalyticsUpdate demoHarbourToday(const DemoPeople& people, qint64 nowMs);
// The organisation's totals.
protocol::AnalyticsUpdate demoOrganisationToday(qint64 nowMs);

// The server's JSON answer for these days grouped `by` (store, region, day, weekday_hour), for
// the whole chain or (`scale` below 1) a share of it.
QByteArray demoReport(const QString& by, QDate from, QDate to, const DemoPeople& people,
                      double scale = 1.0);

} // namespace cc::test
