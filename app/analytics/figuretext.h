#pragma once

#include <QString>

#include <cmath>
#include <limits>
#include <optional>

// How the dashboards write figures, in one place so the wallboard, the manager's and the
// executive's pages say the same thing the same way. A figure without a denominator (no calls
// yet) is "–", never "0%": shared/analytics/measures.h gives it as nullopt.
namespace cc::app::figures {

// The dash shown for a figure that has no value.
QString none();
// 0.8333 -> "83%"; below 10% one decimal ("4.2%"); nullopt -> "–".
QString percent(std::optional<double> ratio);
// 12.4 -> "12 s"; 185 -> "3 min 05 s"; 3725 -> "1 h 02 min"; nullopt -> "–".
QString duration(std::optional<double> seconds);
// A wait on a clock face: 42 -> "0:42", 725 -> "12:05", 3723 -> "1:02:03".
QString clock(qint64 seconds);
// A count with the locale's grouping: 12345 -> "12,345".
QString count(qint64 n);

// A raw number for QML: NaN when there is none.
inline double raw(std::optional<double> value)
{
    return value ? *value : std::numeric_limits<double>::quiet_NaN();
}

} // namespace cc::app::figures
