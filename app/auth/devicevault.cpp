#include "app/auth/devicevault.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <memory>

namespace cc::app {
namespace {

constexpr const char* kFormat = "callcommander.vault.v1";
constexpr std::uint64_t kScryptN = 1U << 15;
constexpr std::uint64_t kScryptR = 8;
constexpr std::uint64_t kScryptP = 1;
constexpr std::uint64_t kScryptMaxMemory = 64ULL * 1024 * 1024;
constexpr int kSaltBytes = 16;
constexpr int kNonceBytes = 12;
constexpr int kTagBytes = 16;
constexpr int kKeyBytes = 32;
constexpr qint64 kMaxFileBytes = 64 * 1024;
// A clock that went back by more than this since the last confirmation counts as expired.
constexpr std::int64_t kClockSlackMs = 5 * 60 * 1000;

// Wipes what it holds when it goes: derived keys and plaintext.
struct Secret {
    QByteArray bytes;
    explicit Secret(qsizetype size)
        : bytes(size, '\0')
    {}
    explicit Secret(QByteArray b)
        : bytes(std::move(b))
    {}
    ~Secret()
    {
        if (!bytes.isEmpty()) {
            OPENSSL_cleanse(bytes.data(), static_cast<std::size_t>(bytes.size()));
        }
    }
    Secret(const Secret&) = delete;
    Secret& operator=(const Secret&) = delete;
    unsigned char* data() { return reinterpret_cast<unsigned char*>(bytes.data()); }
};

QString normalised(const QString& s)
{
    return s.trimmed().toCaseFolded();
}

bool deriveKey(const QString& password, const QByteArray& salt, std::uint64_t n, Secret& out)
{
    Secret utf8(password.toUtf8());
    return EVP_PBE_scrypt(utf8.bytes.constData(), static_cast<std::size_t>(utf8.bytes.size()),
                          reinterpret_cast<const unsigned char*>(salt.constData()),
                          static_cast<std::size_t>(salt.size()), n, kScryptR, kScryptP,
                          kScryptMaxMemory, out.data(), kKeyBytes) == 1;
}

struct CipherContext {
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    ~CipherContext() { EVP_CIPHER_CTX_free(ctx); }
    CipherContext() = default;
    CipherContext(const CipherContext&) = delete;
    CipherContext& operator=(const CipherContext&) = delete;
};

// AES-256-GCM: ciphertext || tag, or empty on failure.
QByteArray seal(Secret& key, const QByteArray& nonce, const QByteArray& aad,
                const QByteArray& plaintext)
{
    CipherContext c;
    QByteArray out(plaintext.size() + kTagBytes, '\0');
    auto* o = reinterpret_cast<unsigned char*>(out.data());
    int len = 0;
    int total = 0;
    if (c.ctx == nullptr ||
        EVP_EncryptInit_ex(c.ctx, EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
        EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) != 1 ||
        EVP_EncryptInit_ex(c.ctx, nullptr, nullptr, key.data(),
                           reinterpret_cast<const unsigned char*>(nonce.constData())) != 1 ||
        EVP_EncryptUpdate(c.ctx, nullptr, &len,
                          reinterpret_cast<const unsigned char*>(aad.constData()),
                          static_cast<int>(aad.size())) != 1 ||
        EVP_EncryptUpdate(c.ctx, o, &len,
                          reinterpret_cast<const unsigned char*>(plaintext.constData()),
                          static_cast<int>(plaintext.size())) != 1) {
        return {};
    }
    total = len;
    if (EVP_EncryptFinal_ex(c.ctx, o + total, &len) != 1 ||
        EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_GET_TAG, kTagBytes, o + plaintext.size()) != 1) {
        return {};
    }
    return out;
}

// The plaintext, or nothing when the tag does not verify (wrong key, changed file).
std::optional<QByteArray> open(Secret& key, const QByteArray& nonce, const QByteArray& aad,
                               const QByteArray& sealed)
{
    if (sealed.size() < kTagBytes) {
        return std::nullopt;
    }
    CipherContext c;
    const qsizetype bodySize = sealed.size() - kTagBytes;
    QByteArray out(bodySize, '\0');
    auto* o = reinterpret_cast<unsigned char*>(out.data());
    const auto* in = reinterpret_cast<const unsigned char*>(sealed.constData());
    int len = 0;
    std::array<unsigned char, kTagBytes> tag{};
    std::copy(in + bodySize, in + sealed.size(), tag.begin());
    const bool ok =
        c.ctx != nullptr &&
        EVP_DecryptInit_ex(c.ctx, EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
        EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) == 1 &&
        EVP_DecryptInit_ex(c.ctx, nullptr, nullptr, key.data(),
                           reinterpret_cast<const unsigned char*>(nonce.constData())) == 1 &&
        EVP_DecryptUpdate(c.ctx, nullptr, &len,
                          reinterpret_cast<const unsigned char*>(aad.constData()),
                          static_cast<int>(aad.size())) == 1 &&
        EVP_DecryptUpdate(c.ctx, o, &len, in, static_cast<int>(bodySize)) == 1 &&
        EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) == 1 &&
        EVP_DecryptFinal_ex(c.ctx, o + len, &len) == 1;
    if (!ok) {
        OPENSSL_cleanse(out.data(), static_cast<std::size_t>(out.size()));
        return std::nullopt;
    }
    return out;
}

QByteArray randomBytes(int size)
{
    QByteArray out(size, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), size) != 1) {
        return {};
    }
    return out;
}

QByteArray b64(const QByteArray& bytes)
{
    return bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

std::optional<QByteArray> unb64(const QJsonValue& value, qsizetype expectedSize = -1)
{
    if (!value.isString()) {
        return std::nullopt;
    }
    auto decoded = QByteArray::fromBase64Encoding(value.toString().toLatin1(),
                                                  QByteArray::Base64UrlEncoding |
                                                      QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded || (expectedSize >= 0 && decoded.decoded.size() != expectedSize)) {
        return std::nullopt;
    }
    return decoded.decoded;
}

} // namespace

DeviceVault::DeviceVault(QString folder, const QString& organisation, const QString& email)
    : m_organisation(normalised(organisation))
    , m_email(normalised(email))
{
    const QByteArray who =
        QCryptographicHash::hash((m_organisation + QLatin1Char('/') + m_email).toUtf8(),
                                 QCryptographicHash::Sha256)
            .toHex()
            .left(24);
    m_path = QDir(folder).filePath(QStringLiteral("unlock-") + QString::fromLatin1(who) +
                                   QStringLiteral(".json"));
}

QByteArray DeviceVault::associatedData() const
{
    // The parameters are authenticated too: a file edited to a cheaper derivation does not open.
    return QByteArray(kFormat) + "\nscrypt n=" + QByteArray::number(kScryptN) +
           " r=" + QByteArray::number(kScryptR) + " p=" + QByteArray::number(kScryptP) + "\n" +
           m_organisation.toUtf8() + "\n" + m_email.toUtf8();
}

bool DeviceVault::save(const QString& password, const VaultContents& contents) const
{
    if (password.isEmpty() || contents.cacheKey.size() != kKeyBytes) {
        return false;
    }
    const QByteArray salt = randomBytes(kSaltBytes);
    if (salt.isEmpty()) {
        return false;
    }
    Secret key(kKeyBytes);
    if (!deriveKey(password, salt, kScryptN, key)) {
        return false;
    }
    return write(salt, key.bytes, contents);
}

bool DeviceVault::write(const QByteArray& salt, const QByteArray& derivedKey,
                        const VaultContents& contents) const
{
    const QByteArray nonce = randomBytes(kNonceBytes);
    if (nonce.isEmpty()) {
        return false;
    }
    Secret key(QByteArray(derivedKey.constData(), derivedKey.size())); // a copy of its own
    QJsonArray stores;
    for (const auto& s : contents.storeNames) {
        stores.append(s);
    }
    const QJsonObject inner{
        {QStringLiteral("userId"), contents.userId},
        {QStringLiteral("userName"), contents.userName},
        {QStringLiteral("role"), contents.role},
        {QStringLiteral("organisationName"), contents.organisationName},
        {QStringLiteral("storeNames"), stores},
        {QStringLiteral("cacheKey"), QString::fromLatin1(b64(contents.cacheKey))},
        {QStringLiteral("verifiedAtMs"), static_cast<qint64>(contents.verifiedAtMs)},
        {QStringLiteral("lastSeenMs"), static_cast<qint64>(contents.lastSeenMs)}};
    Secret plaintext(QJsonDocument(inner).toJson(QJsonDocument::Compact));
    const QByteArray sealed = seal(key, nonce, associatedData(), plaintext.bytes);
    if (sealed.isEmpty()) {
        return false;
    }
    const QJsonObject outer{{QStringLiteral("format"), QString::fromLatin1(kFormat)},
                            {QStringLiteral("kdf"),
                             QJsonObject{{QStringLiteral("name"), QStringLiteral("scrypt")},
                                         {QStringLiteral("n"), static_cast<qint64>(kScryptN)},
                                         {QStringLiteral("r"), static_cast<qint64>(kScryptR)},
                                         {QStringLiteral("p"), static_cast<qint64>(kScryptP)},
                                         {QStringLiteral("salt"), QString::fromLatin1(b64(salt))}}},
                            {QStringLiteral("nonce"), QString::fromLatin1(b64(nonce))},
                            {QStringLiteral("sealed"), QString::fromLatin1(b64(sealed))}};
    QDir().mkpath(QFileInfo(m_path).absolutePath());
    QSaveFile file(m_path);
    if (!file.open(QIODevice::WriteOnly)) {
        return false;
    }
    file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    file.write(QJsonDocument(outer).toJson(QJsonDocument::Compact));
    return file.commit();
}

std::variant<VaultContents, VaultError>
DeviceVault::open(const QString& password, std::int64_t nowMs, std::int64_t offlineWindowMs) const
{
    QFile file(m_path);
    if (!file.exists()) {
        return VaultError::NotFound;
    }
    if (!file.open(QIODevice::ReadOnly) || file.size() > kMaxFileBytes) {
        return VaultError::Unreadable;
    }
    const QJsonObject outer = QJsonDocument::fromJson(file.read(kMaxFileBytes)).object();
    const QJsonObject kdf = outer.value(QStringLiteral("kdf")).toObject();
    const auto salt = unb64(kdf.value(QStringLiteral("salt")), kSaltBytes);
    const auto nonce = unb64(outer.value(QStringLiteral("nonce")), kNonceBytes);
    const auto sealed = unb64(outer.value(QStringLiteral("sealed")));
    // Only the parameters this build writes: a file cannot make the derivation cheaper or ask
    // for gigabytes.
    if (outer.value(QStringLiteral("format")).toString() != QLatin1String(kFormat) ||
        kdf.value(QStringLiteral("name")).toString() != QLatin1String("scrypt") ||
        kdf.value(QStringLiteral("n")).toInteger() != static_cast<qint64>(kScryptN) ||
        kdf.value(QStringLiteral("r")).toInteger() != static_cast<qint64>(kScryptR) ||
        kdf.value(QStringLiteral("p")).toInteger() != static_cast<qint64>(kScryptP) || !salt ||
        !nonce || !sealed) {
        return VaultError::Unreadable;
    }
    Secret key(kKeyBytes);
    if (!deriveKey(password, *salt, kScryptN, key)) {
        return VaultError::Unreadable;
    }
    auto plain = cc::app::open(key, *nonce, associatedData(), *sealed);
    if (!plain) {
        return VaultError::WrongPassword;
    }
    Secret plaintext(std::move(*plain));
    const QJsonObject inner = QJsonDocument::fromJson(plaintext.bytes).object();
    VaultContents c;
    c.userId = inner.value(QStringLiteral("userId")).toString();
    c.userName = inner.value(QStringLiteral("userName")).toString();
    c.role = inner.value(QStringLiteral("role")).toString();
    c.organisationName = inner.value(QStringLiteral("organisationName")).toString();
    for (const auto& s : inner.value(QStringLiteral("storeNames")).toArray()) {
        c.storeNames << s.toString();
    }
    c.verifiedAtMs = inner.value(QStringLiteral("verifiedAtMs")).toInteger();
    c.lastSeenMs = inner.value(QStringLiteral("lastSeenMs")).toInteger();
    const auto cacheKey = unb64(inner.value(QStringLiteral("cacheKey")), kKeyBytes);
    if (!cacheKey || c.userId.isEmpty() || c.role.isEmpty() || c.verifiedAtMs <= 0) {
        return VaultError::Unreadable;
    }
    c.cacheKey = *cacheKey;
    if (nowMs - c.verifiedAtMs > offlineWindowMs ||
        nowMs + kClockSlackMs < std::max(c.verifiedAtMs, c.lastSeenMs)) {
        return VaultError::Expired;
    }
    if (nowMs > c.lastSeenMs) {
        // Remembered under the same key (a fresh nonce): a later opening with the clock set
        // back before this moment is refused. Best effort: a vault that cannot be written still
        // opens now.
        c.lastSeenMs = nowMs;
        write(*salt, key.bytes, c);
    }
    return c;
}

void DeviceVault::forget() const
{
    QFile::remove(m_path);
}

QString toString(VaultError error)
{
    switch (error) {
    case VaultError::NotFound:
        return QStringLiteral("no offline sign-in on this device");
    case VaultError::WrongPassword:
        return QStringLiteral("wrong password");
    case VaultError::Expired:
        return QStringLiteral("offline sign-in expired");
    case VaultError::Unreadable:
        return QStringLiteral("offline sign-in damaged");
    }
    return {};
}

} // namespace cc::app
