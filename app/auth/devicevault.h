#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <optional>
#include <variant>

// What lets a person sign in on this device while the server cannot be reached (docs/security.md,
// "Offline sign-in and the cache at rest"): after each sign-in with the password, the device keeps
// who they are (name, role, organisation, stores), the key of their offline cache and when the
// server last confirmed them, sealed with AES-256-GCM under a key derived from their password
// with scrypt (OpenSSL; N = 2^15, r = 8, p = 1: 32 MiB and about 0.1 s a guess on a tablet). The
// password itself is never stored. Opening the vault with the right password is the offline
// sign-in; the server checks the person again as soon as it answers.
//
// One file per organisation and e-mail address in the app's data folder, named by a hash of
// both, so the folder does not list who signs in here. The organisation and address are the
// associated data of the seal: a file copied to another name does not open.
//
// Deriving the key is slow on purpose: call these off the GUI thread.
namespace cc::app {

struct VaultContents {
    QString userId;
    QString userName;
    QString role;
    QString organisationName;
    QStringList storeNames;
    QByteArray cacheKey;           // 32 bytes: the key of the person's offline cache on this device
    std::int64_t verifiedAtMs = 0; // when the server last accepted their password
    std::int64_t lastSeenMs = 0;   // the latest time an offline sign-in saw on the device clock
};

enum class VaultError {
    NotFound, // nobody signed in here with this organisation and e-mail
    WrongPassword,
    Expired,    // the server has not confirmed them for too long: sign in online
    Unreadable, // the file is damaged or of an unknown format
};

class DeviceVault {
public:
    // How long an offline sign-in stays possible after the server last accepted the password.
    static constexpr std::int64_t kDefaultOfflineWindowMs = 14LL * 24 * 60 * 60 * 1000;

    // folder: the app's data folder. organisation and email as typed at sign-in (compared without
    // case and surrounding spaces).
    DeviceVault(QString folder, const QString& organisation, const QString& email);

    QString path() const { return m_path; }

    // Seals `contents` under the password (a fresh salt each time) and replaces the file
    // atomically, readable by this user only. False when the file cannot be written.
    bool save(const QString& password, const VaultContents& contents) const;

    // The contents, when the password is the one last used to sign in online and the server
    // confirmed it within `offlineWindowMs` of nowMs. Each opening remembers the latest time it
    // saw: a clock set back before it (or before the confirmation) counts as expired, so turning
    // the clock back cannot stretch the window.
    std::variant<VaultContents, VaultError>
    open(const QString& password, std::int64_t nowMs,
         std::int64_t offlineWindowMs = kDefaultOfflineWindowMs) const;

    // Removes the file (the server ended the person's sign-in, or the person was disabled).
    void forget() const;

private:
    QByteArray associatedData() const;
    bool write(const QByteArray& salt, const QByteArray& derivedKey,
               const VaultContents& contents) const;

    QString m_path;
    QString m_organisation;
    QString m_email;
};

QString toString(VaultError error);

} // namespace cc::app
