#include "app/analytics/figuretext.h"

#include <QCoreApplication>
#include <QLocale>

#include <algorithm>

namespace cc::app::figures {

QString none()
{
    return QStringLiteral("–");
}

QString percent(std::optional<double> ratio)
{
    if (!ratio || !std::isfinite(*ratio)) {
        return none();
    }
    const double p = *ratio * 100.0;
    const int decimals = p > 0.0 && p < 9.95 ? 1 : 0;
    return QLocale().toString(p, 'f', decimals) + QLatin1Char('%');
}

QString duration(std::optional<double> seconds)
{
    if (!seconds || !std::isfinite(*seconds) || *seconds < 0) {
        return none();
    }
    const auto s = static_cast<qint64>(std::llround(*seconds));
    if (s < 60) {
        return QCoreApplication::translate("figures", "%1 s").arg(s);
    }
    if (s < 3600) {
        return QCoreApplication::translate("figures", "%1 min %2 s")
            .arg(s / 60)
            .arg(s % 60, 2, 10, QLatin1Char('0'));
    }
    return QCoreApplication::translate("figures", "%1 h %2 min")
        .arg(s / 3600)
        .arg((s % 3600) / 60, 2, 10, QLatin1Char('0'));
}

QString clock(qint64 seconds)
{
    const qint64 s = std::max<qint64>(seconds, 0);
    if (s < 3600) {
        return QStringLiteral("%1:%2").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
    }
    return QStringLiteral("%1:%2:%3")
        .arg(s / 3600)
        .arg((s % 3600) / 60, 2, 10, QLatin1Char('0'))
        .arg(s % 60, 2, 10, QLatin1Char('0'));
}

QString count(qint64 n)
{
    return QLocale().toString(n);
}

} // namespace cc::app::figures
