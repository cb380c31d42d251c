// The offline sign-in vault (app/auth/devicevault.*): what it keeps comes back with the password
// and within the offline window only, nothing of it is readable in the file, and a file that was
// changed, renamed or damaged opens nothing.

#include "app/auth/devicevault.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using cc::app::DeviceVault;
using cc::app::VaultContents;
using cc::app::VaultError;

namespace {

constexpr std::int64_t kNow = 1800000000000; // 2027-01-15
constexpr std::int64_t kDay = 24LL * 60 * 60 * 1000;
const QString kPassword = QStringLiteral("correct horse battery");

VaultContents sample()
{
    VaultContents c;
    c.userId = QStringLiteral("3f1c2a9e-5b7d-4e8f-9a0b-1c2d3e4f5a6b");
    c.userName = QStringLiteral("Isabella Ortiz");
    c.role = QStringLiteral("manager");
    c.organisationName = QStringLiteral("Northwind Outfitters");
    c.storeNames = {QStringLiteral("Boston Back Bay"), QStringLiteral("Cambridge")};
    c.cacheKey = QByteArray(32, '\x5a');
    c.verifiedAtMs = kNow;
    return c;
}

// Why it did not open, in words (for readable failures), or "opened".
QString errorOf(const std::variant<VaultContents, VaultError>& opened)
{
    const auto* e = std::get_if<VaultError>(&opened);
    return e != nullptr ? cc::app::toString(*e) : QStringLiteral("opened");
}

QString said(VaultError error)
{
    return cc::app::toString(error);
}

} // namespace

class TestDeviceVault : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void keepsWhatItWasGivenForThePassword()
    {
        QTemporaryDir dir;
        const DeviceVault vault(dir.path(), QStringLiteral("northwind"),
                                QStringLiteral("Isabella@Northwind.example"));
        QCOMPARE(errorOf(vault.open(kPassword, kNow)), said(VaultError::NotFound));
        QVERIFY(vault.save(kPassword, sample()));
        // Company code and address as typed: case and spaces do not matter.
        const DeviceVault same(dir.path(), QStringLiteral(" NorthWind "),
                               QStringLiteral("isabella@northwind.example"));
        QCOMPARE(same.path(), vault.path());
        const auto opened = same.open(kPassword, kNow + kDay);
        QVERIFY(std::holds_alternative<VaultContents>(opened));
        const auto& c = std::get<VaultContents>(opened);
        QCOMPARE(c.userId, sample().userId);
        QCOMPARE(c.userName, sample().userName);
        QCOMPARE(c.role, QStringLiteral("manager"));
        QCOMPARE(c.organisationName, sample().organisationName);
        QCOMPARE(c.storeNames, sample().storeNames);
        QCOMPARE(c.cacheKey, sample().cacheKey);
        QCOMPARE(c.verifiedAtMs, kNow);
        QCOMPARE(errorOf(vault.open(QStringLiteral("correct horse batterY"), kNow)),
                 said(VaultError::WrongPassword));
        QCOMPARE(errorOf(vault.open(QString(), kNow)), said(VaultError::WrongPassword));
        // Another person, or the same address at another company, has no vault here.
        QCOMPARE(errorOf(DeviceVault(dir.path(), QStringLiteral("contoso"),
                                     QStringLiteral("isabella@northwind.example"))
                             .open(kPassword, kNow)),
                 said(VaultError::NotFound));
        vault.forget();
        QCOMPARE(errorOf(vault.open(kPassword, kNow)), said(VaultError::NotFound));
    }

    void theFileShowsNothingAndNamesNobody()
    {
        QTemporaryDir dir;
        const DeviceVault vault(dir.path(), QStringLiteral("northwind"),
                                QStringLiteral("isabella@northwind.example"));
        QVERIFY(vault.save(kPassword, sample()));
        QVERIFY(!vault.path().contains(QStringLiteral("isabella")));
        QFile f(vault.path());
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray bytes = f.readAll();
        for (const char* secret : {"Isabella", "isabella", "manager", "Northwind", "Boston",
                                   "correct horse", "WlpaWlpa"}) {
            QVERIFY2(!bytes.contains(secret), secret);
        }
        QCOMPARE(f.permissions() & (QFileDevice::ReadGroup | QFileDevice::ReadOther |
                                    QFileDevice::WriteGroup | QFileDevice::WriteOther),
                 QFileDevice::Permissions());
        // Each save seals anew (fresh salt and nonce).
        QVERIFY(vault.save(kPassword, sample()));
        QFile again(vault.path());
        QVERIFY(again.open(QIODevice::ReadOnly));
        QVERIFY(again.readAll() != bytes);
    }

    void offlineWindowEndsAndABackwardClockDoesNotExtendIt()
    {
        QTemporaryDir dir;
        const DeviceVault vault(dir.path(), QStringLiteral("northwind"),
                                QStringLiteral("isabella@northwind.example"));
        QVERIFY(vault.save(kPassword, sample()));
        // In time order: a 3-day window, then the default 14 days.
        QVERIFY(std::holds_alternative<VaultContents>(
            vault.open(kPassword, kNow + 2 * kDay, 3 * kDay)));
        QCOMPARE(errorOf(vault.open(kPassword, kNow + 4 * kDay, 3 * kDay)),
                 said(VaultError::Expired));
        QVERIFY(std::holds_alternative<VaultContents>(vault.open(kPassword, kNow + 13 * kDay)));
        QCOMPARE(errorOf(vault.open(kPassword, kNow + 15 * kDay)), said(VaultError::Expired));
        // Before the server's confirmation.
        QCOMPARE(errorOf(vault.open(kPassword, kNow - kDay)), said(VaultError::Expired));
        // Opened on day 4, the clock set back to day 1 (inside the window from the server's
        // confirmation): refused, the vault remembers the latest time it saw.
        QVERIFY(vault.save(kPassword, sample()));
        QVERIFY(std::holds_alternative<VaultContents>(vault.open(kPassword, kNow + 4 * kDay)));
        QCOMPARE(errorOf(vault.open(kPassword, kNow + kDay)), said(VaultError::Expired));
        const auto later = vault.open(kPassword, kNow + 5 * kDay);
        QVERIFY(std::holds_alternative<VaultContents>(later));
        QCOMPARE(std::get<VaultContents>(later).lastSeenMs, kNow + 5 * kDay);
    }

    void changedCopiedOrDamagedFilesOpenNothing()
    {
        QTemporaryDir dir;
        const DeviceVault vault(dir.path(), QStringLiteral("northwind"),
                                QStringLiteral("isabella@northwind.example"));
        QVERIFY(vault.save(kPassword, sample()));
        QFile f(vault.path());
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray original = f.readAll();
        f.close();
        const auto rewrite = [&](const QByteArray& bytes) {
            QFile w(vault.path());
            QVERIFY(w.open(QIODevice::WriteOnly | QIODevice::Truncate));
            w.write(bytes);
        };

        // One changed character of the sealed part: the tag does not verify.
        QJsonObject outer = QJsonDocument::fromJson(original).object();
        QString sealed = outer.value(QStringLiteral("sealed")).toString();
        sealed[10] = sealed[10] == QLatin1Char('A') ? QLatin1Char('B') : QLatin1Char('A');
        outer[QStringLiteral("sealed")] = sealed;
        rewrite(QJsonDocument(outer).toJson());
        QCOMPARE(errorOf(vault.open(kPassword, kNow)), said(VaultError::WrongPassword));

        // A cheaper derivation written into the file is not followed.
        outer = QJsonDocument::fromJson(original).object();
        QJsonObject kdf = outer.value(QStringLiteral("kdf")).toObject();
        kdf[QStringLiteral("n")] = 1024;
        outer[QStringLiteral("kdf")] = kdf;
        rewrite(QJsonDocument(outer).toJson());
        QCOMPARE(errorOf(vault.open(kPassword, kNow)), said(VaultError::Unreadable));

        // Not JSON, empty, far too large.
        rewrite("{not json");
        QCOMPARE(errorOf(vault.open(kPassword, kNow)), said(VaultError::Unreadable));
        rewrite(QByteArray());
        QCOMPARE(errorOf(vault.open(kPassword, kNow)), said(VaultError::Unreadable));
        rewrite(QByteArray(100 * 1024, 'x'));
        QCOMPARE(errorOf(vault.open(kPassword, kNow)), said(VaultError::Unreadable));

        // Another person's file copied under this name: the names are sealed in, it does not open.
        const DeviceVault other(dir.path(), QStringLiteral("northwind"),
                                QStringLiteral("mallory@northwind.example"));
        QVERIFY(other.save(kPassword, sample()));
        QFile::remove(vault.path());
        QVERIFY(QFile::copy(other.path(), vault.path()));
        QCOMPARE(errorOf(vault.open(kPassword, kNow)), said(VaultError::WrongPassword));
    }

    void refusesToSaveWithoutAKeyOrPassword()
    {
        QTemporaryDir dir;
        const DeviceVault vault(dir.path(), QStringLiteral("northwind"),
                                QStringLiteral("isabella@northwind.example"));
        VaultContents c = sample();
        c.cacheKey = QByteArray(16, 'k');
        QVERIFY(!vault.save(kPassword, c));
        QVERIFY(!vault.save(QString(), sample()));
        QVERIFY(!QFile::exists(vault.path()));
    }
};

QTEST_GUILESS_MAIN(TestDeviceVault)
#include "tst_devicevault.moc"
