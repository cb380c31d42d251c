#pragma once

#include <QCryptographicHash>
#include <QDir>
#include <QString>

namespace cc::app {

// A file of one person of one organisation on this device (the offline cache, remembered
// figures): named by a hash of who, so the folder does not list who signed in here, and what a
// device shows follows who signed in.
inline QString personalFilePath(const QString& folder, const QString& organisation,
                                const QString& userId, const QString& prefix, const QString& suffix)
{
    const QByteArray who =
        QCryptographicHash::hash((organisation + QLatin1Char('/') + userId).toUtf8(),
                                 QCryptographicHash::Sha256)
            .toHex()
            .left(24);
    return QDir(folder).filePath(prefix + QString::fromLatin1(who) + suffix);
}

} // namespace cc::app
