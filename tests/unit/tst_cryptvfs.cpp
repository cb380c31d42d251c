#include "app/cache/cryptvfs.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace cache = cc::app::cache;

namespace {

const std::string kMarker = "ZEBRA-CONFIDENTIAL-4821";
constexpr int kPage = cache::kCryptPageSize;
constexpr int kWalHeader = 32;
constexpr int kFrame = 24 + kPage;

std::string hex(const cache::CacheKey& key)
{
    constexpr std::string_view digits = "0123456789abcdef";
    std::string out;
    for (const unsigned char c : key) {
        out += digits[c >> 4];
        out += digits[c & 0x0f];
    }
    return out;
}

cache::CacheKey unhex(const std::string& text)
{
    cache::CacheKey key{};
    for (std::size_t i = 0; i < key.size() && 2 * i + 1 < text.size(); ++i) {
        key[i] = static_cast<unsigned char>(std::stoi(text.substr(2 * i, 2), nullptr, 16));
    }
    return key;
}

bool exec(sqlite3* db, const std::string& sql)
{
    char* error = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
        qWarning("%s: %s", sql.c_str(), error != nullptr ? error : sqlite3_errmsg(db));
        sqlite3_free(error);
        return false;
    }
    return true;
}

// Runs every row of sql; SQLITE_DONE when it all worked, else the (extended) error.
int run(sqlite3* db, const std::string& sql)
{
    sqlite3_stmt* statement = nullptr;
    int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr);
    if (rc != SQLITE_OK) {
        return sqlite3_extended_errcode(db);
    }
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
    }
    sqlite3_finalize(statement);
    return rc == SQLITE_DONE ? rc : sqlite3_extended_errcode(db);
}

std::int64_t scalar(sqlite3* db, const std::string& sql)
{
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK) {
        return -1;
    }
    std::int64_t out = -1;
    if (sqlite3_step(statement) == SQLITE_ROW) {
        out = sqlite3_column_int64(statement, 0);
    }
    sqlite3_finalize(statement);
    return out;
}

QString text(sqlite3* db, const std::string& sql)
{
    sqlite3_stmt* statement = nullptr;
    QString out = QStringLiteral("<error: %1>");
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW) {
        const auto* value = sqlite3_column_text(statement, 0);
        out = value != nullptr ? QString::fromUtf8(reinterpret_cast<const char*>(value))
                               : QStringLiteral("<null>");
    } else {
        out = out.arg(QString::fromUtf8(sqlite3_errmsg(db)));
    }
    sqlite3_finalize(statement);
    return out;
}

QString qs(const std::string& s)
{
    return QString::fromStdString(s);
}

// What SQLITE_FCNTL_VFSNAME says about the main database file.
QString vfsName(sqlite3* db)
{
    char* name = nullptr;
    sqlite3_file_control(db, "main", SQLITE_FCNTL_VFSNAME, &name);
    QString out = QString::fromUtf8(name != nullptr ? name : "");
    sqlite3_free(name);
    return out;
}

int reserveBytes(sqlite3* db)
{
    int reserve = -1; // -1: only read the value
    sqlite3_file_control(db, "main", SQLITE_FCNTL_RESERVE_BYTES, &reserve);
    return reserve;
}

// One connection, closed at the end of the scope.
class Db {
public:
    explicit Db(sqlite3* db = nullptr)
        : db_(db)
    {}
    ~Db() { close(); }
    Db(const Db&) = delete;
    Db& operator=(const Db&) = delete;
    operator sqlite3*() const { return db_; }
    void close()
    {
        if (db_ != nullptr) {
            sqlite3_close_v2(db_);
            db_ = nullptr;
        }
    }
    // Leaves the WAL as it is, like a process that died.
    void closeWithoutCheckpoint()
    {
        if (db_ != nullptr) {
            sqlite3_db_config(db_, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, static_cast<int*>(nullptr));
        }
        close();
    }

private:
    sqlite3* db_;
};

sqlite3* openOrWarn(const std::string& path, const cache::CacheKey& key, int flags = 0)
{
    auto opened = cache::openEncrypted(path, key, flags);
    if (opened.db == nullptr) {
        qWarning("openEncrypted(%s): %s", path.c_str(), opened.error.c_str());
    }
    return opened.db;
}

sqlite3* openPlain(const std::string& path)
{
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
        SQLITE_OK) {
        qWarning("open %s: %s", path.c_str(), sqlite3_errmsg(db));
        sqlite3_close_v2(db);
        return nullptr;
    }
    return db;
}

std::string body(std::int64_t i)
{
    return kMarker + "-" + std::to_string(i) + " lorem ipsum dolor sit amet consectetur";
}

bool createNotes(sqlite3* db, bool withFts)
{
    return exec(db, "CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT NOT NULL, "
                    "grp INTEGER NOT NULL)") &&
           (!withFts || exec(db, "CREATE VIRTUAL TABLE notes_fts USING fts5(body)"));
}

// Rows [from, from + count) in one transaction.
bool insertNotes(sqlite3* db, std::int64_t from, std::int64_t count, bool withFts)
{
    if (!exec(db, "BEGIN IMMEDIATE")) {
        return false;
    }
    sqlite3_stmt* note = nullptr;
    sqlite3_stmt* fts = nullptr;
    bool ok =
        sqlite3_prepare_v2(db, "INSERT INTO notes(id, body, grp) VALUES(?1, ?2, ?3)", -1, &note,
                           nullptr) == SQLITE_OK &&
        (!withFts || sqlite3_prepare_v2(db, "INSERT INTO notes_fts(rowid, body) VALUES(?1, ?2)", -1,
                                        &fts, nullptr) == SQLITE_OK);
    for (std::int64_t i = from; ok && i < from + count; ++i) {
        const std::string b = body(i);
        sqlite3_bind_int64(note, 1, i);
        sqlite3_bind_text(note, 2, b.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(note, 3, i % 97);
        ok = sqlite3_step(note) == SQLITE_DONE;
        sqlite3_reset(note);
        if (ok && withFts) {
            sqlite3_bind_int64(fts, 1, i);
            sqlite3_bind_text(fts, 2, b.c_str(), -1, SQLITE_TRANSIENT);
            ok = sqlite3_step(fts) == SQLITE_DONE;
            sqlite3_reset(fts);
        }
    }
    if (!ok) {
        qWarning("insert: %s", sqlite3_errmsg(db));
    }
    sqlite3_finalize(note);
    sqlite3_finalize(fts);
    return exec(db, ok ? "COMMIT" : "ROLLBACK") && ok;
}

QByteArray readAll(const QString& path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

bool writeAll(const QString& path, const QByteArray& bytes)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate) &&
           file.write(bytes) == bytes.size();
}

// Overwrites bytes in place (the file may be open in SQLite meanwhile).
bool patch(const QString& path, qint64 offset, const QByteArray& bytes)
{
    QFile file(path);
    return file.open(QIODevice::ReadWrite) && file.seek(offset) &&
           file.write(bytes) == bytes.size();
}

QByteArray flipped(QByteArray bytes, qint64 offset)
{
    bytes[offset] = static_cast<char>(bytes[offset] ^ 0x5a);
    return bytes;
}

QByteArray sha256(const QString& path)
{
    return QCryptographicHash::hash(readAll(path), QCryptographicHash::Sha256).toHex();
}

// Files in dir holding any of the plaintext needles, as "file: needle".
QStringList plaintextIn(const QString& dir)
{
    const QList<QByteArray> needles = {QByteArray::fromStdString(kMarker), "confidential",
                                       "lorem ipsum", "CREATE TABLE"};
    QStringList found;
    for (const auto& name : QDir(dir).entryList(QDir::Files)) {
        const QByteArray bytes = readAll(dir + "/" + name);
        for (const auto& needle : needles) {
            if (bytes.contains(needle)) {
                found << name + ": " + QString::fromUtf8(needle);
            }
        }
        if (bytes.startsWith("SQLite format 3")) {
            found << name + ": plain header";
        }
    }
    return found;
}

qint64 sizeOf(const std::string& path)
{
    return QFileInfo(QString::fromStdString(path)).size();
}

bool exists(const std::string& path)
{
    return QFileInfo::exists(QString::fromStdString(path));
}

// The child of survivesKilledWriter: small committed transactions until it is killed, printing
// each committed id.
int crashWriter(const std::string& path, const std::string& keyHex)
{
    auto opened = cache::openEncrypted(path, unhex(keyHex));
    if (opened.db == nullptr) {
        std::fprintf(stderr, "open: %s\n", opened.error.c_str());
        return 2;
    }
    sqlite3* db = opened.db;
    if (!exec(db, "PRAGMA journal_mode = WAL") || !exec(db, "PRAGMA synchronous = FULL") ||
        !exec(db, "PRAGMA wal_autocheckpoint = 16") ||
        !exec(db, "CREATE TABLE IF NOT EXISTS events(id INTEGER PRIMARY KEY, body TEXT NOT NULL, "
                  "pad BLOB NOT NULL)") ||
        !exec(db, "CREATE INDEX IF NOT EXISTS events_body ON events(body)")) {
        return 3;
    }
    std::int64_t next = scalar(db, "SELECT coalesce(max(id), 0) FROM events") + 1;
    sqlite3_stmt* insert = nullptr;
    if (sqlite3_prepare_v2(db, "INSERT INTO events VALUES(?1, ?2, randomblob(700))", -1, &insert,
                           nullptr) != SQLITE_OK) {
        return 4;
    }
    for (;; ++next) {
        const std::string b = kMarker + std::to_string(next);
        sqlite3_bind_int64(insert, 1, next);
        sqlite3_bind_text(insert, 2, b.c_str(), -1, SQLITE_TRANSIENT);
        if (!exec(db, "BEGIN IMMEDIATE") || sqlite3_step(insert) != SQLITE_DONE ||
            sqlite3_reset(insert) != SQLITE_OK || !exec(db, "COMMIT")) {
            std::fprintf(stderr, "write %lld: %s\n", static_cast<long long>(next),
                         sqlite3_errmsg(db));
            return 5;
        }
        std::printf("%lld\n", static_cast<long long>(next));
        std::fflush(stdout);
    }
}

} // namespace

class TestCryptVfs : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        cache::registerCryptVfs();
        QVERIFY(sqlite3_vfs_find(cache::kCryptVfsName) != nullptr);
    }

    void registrationIsIdempotentAndKeysAreRandom()
    {
        std::vector<std::thread> threads;
        threads.reserve(8);
        for (int i = 0; i < 8; ++i) {
            threads.emplace_back([] { cache::registerCryptVfs(); });
        }
        for (auto& t : threads) {
            t.join();
        }
        QVERIFY(sqlite3_vfs_find(cache::kCryptVfsName) != nullptr);
        QVERIFY(sqlite3_vfs_find(nullptr) != sqlite3_vfs_find(cache::kCryptVfsName));
        QVERIFY(cache::randomCacheKey() != cache::randomCacheKey());
    }

    // 1. Everything written comes back, FTS5 included.
    void roundTrip()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath("cache.db").toStdString();
        const auto key = cache::randomCacheKey();
        {
            Db db(openOrWarn(path, key));
            QVERIFY(db);
            QCOMPARE(text(db, "PRAGMA journal_mode = WAL"), QStringLiteral("wal"));
            QVERIFY(exec(db, "PRAGMA synchronous = FULL"));
            QVERIFY(createNotes(db, true));
            QVERIFY(insertNotes(db, 0, 20000, true));
        }
        QVERIFY(!exists(path + "-wal")); // checkpointed and removed on close
        Db db(openOrWarn(path, key));
        QVERIFY(db);
        QCOMPARE(scalar(db, "SELECT count(*) FROM notes"), std::int64_t{20000});
        QCOMPARE(text(db, "SELECT body FROM notes WHERE id = 12345"), qs(body(12345)));
        QCOMPARE(scalar(db, "SELECT count(*) FROM notes WHERE body = '" + body(0) + "'"),
                 std::int64_t{1});
        QCOMPARE(scalar(db, "SELECT rowid FROM notes_fts WHERE notes_fts MATCH "
                            "'\"ZEBRA-CONFIDENTIAL-4821-17321\"'"),
                 std::int64_t{17321});
        QCOMPARE(scalar(db, "SELECT count(*) FROM notes_fts WHERE notes_fts MATCH 'confidential'"),
                 std::int64_t{20000});
        QCOMPARE(text(db, "SELECT body FROM notes_fts WHERE notes_fts MATCH '\"4821 19999\"'"),
                 qs(body(19999)));
        QCOMPARE(text(db, "PRAGMA integrity_check"), QStringLiteral("ok"));
        QCOMPARE(scalar(db, "PRAGMA page_size"), std::int64_t{kPage});
        QCOMPARE(reserveBytes(db), cache::kCryptReserveBytes);
        QCOMPARE(text(db, "PRAGMA journal_mode"), QStringLiteral("wal"));
        QCOMPARE(scalar(db, "PRAGMA temp_store"), std::int64_t{2});
        QCOMPARE(scalar(db, "PRAGMA secure_delete"), std::int64_t{1});
        QCOMPARE(scalar(db, "PRAGMA mmap_size"), std::int64_t{0});
        QVERIFY(vfsName(db).startsWith(QStringLiteral("cc-crypt/")));
        db.close();
        cache::unbindCryptKey(path);
    }

    // 2. The marker never reaches the disk: not in the WAL before a checkpoint, not in the
    //    database after it, not in the shared-memory index.
    void noPlaintextOnDisk()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath("cache.db").toStdString();
        const auto key = cache::randomCacheKey();
        Db db(openOrWarn(path, key));
        QVERIFY(db);
        QVERIFY(exec(db, "PRAGMA synchronous = FULL"));
        QVERIFY(exec(db, "PRAGMA wal_autocheckpoint = 0"));
        QVERIFY(createNotes(db, true));
        QVERIFY(insertNotes(db, 0, 5000, true));
        QVERIFY(sizeOf(path + "-wal") > qint64{100} * kFrame);
        QVERIFY(exists(path + "-shm"));
        QCOMPARE(plaintextIn(dir.path()), QStringList());

        QCOMPARE(text(db, "PRAGMA wal_checkpoint(TRUNCATE)"), QStringLiteral("0"));
        QCOMPARE(sizeOf(path + "-wal"), qint64{0});
        QVERIFY(sizeOf(path) > qint64{100} * kPage);
        QCOMPARE(plaintextIn(dir.path()), QStringList());
        QVERIFY(!readAll(QString::fromStdString(path)).startsWith("SQLite format 3"));
        QVERIFY(!cache::isPlainDatabase(path));

        QVERIFY(insertNotes(db, 5000, 100, true)); // and again after the WAL restarted
        QCOMPARE(plaintextIn(dir.path()), QStringList());
        db.close();
        QCOMPARE(plaintextIn(dir.path()), QStringList());
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files), QStringList{"cache.db"});
        cache::unbindCryptKey(path);
    }

    // 3. A wrong key opens nothing and writes nothing, with and without a WAL to recover.
    void wrongKeyChangesNothing()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath("cache.db").toStdString();
        const QString db0 = QString::fromStdString(path);
        const QString wal = db0 + "-wal";
        const auto right = cache::randomCacheKey();
        const auto wrong = cache::randomCacheKey();
        {
            Db db(openOrWarn(path, right));
            QVERIFY(db);
            QVERIFY(exec(db, "PRAGMA wal_autocheckpoint = 0"));
            QVERIFY(createNotes(db, false));
            QVERIFY(insertNotes(db, 0, 2000, false));
            db.closeWithoutCheckpoint(); // the rows live in the WAL only
        }
        QVERIFY(QFileInfo(wal).size() > 0);
        const QByteArray dbHash = sha256(db0);
        const QByteArray walHash = sha256(wal);

        const auto refused = cache::openEncrypted(path, wrong);
        QVERIFY(refused.db == nullptr);
        QCOMPARE(qs(refused.error), QString(cache::kCryptWrongKeyError));
        QCOMPARE(sha256(db0), dbHash);
        QCOMPARE(sha256(wal), walHash);

        // Straight through the VFS, without openEncrypted's care: SQLite reads the header on
        // open, so the open itself fails ("not a database").
        cache::bindCryptKey(path, wrong);
        {
            sqlite3* raw = nullptr;
            QCOMPARE(
                sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE, cache::kCryptVfsName),
                SQLITE_NOTADB);
            sqlite3_close_v2(raw);
        }
        QCOMPARE(sha256(db0), dbHash);
        QCOMPARE(sha256(wal), walHash);

        {
            Db db(openOrWarn(path, right)); // rebinds the right key
            QVERIFY(db);
            QCOMPARE(scalar(db, "SELECT count(*) FROM notes"), std::int64_t{2000});
            QCOMPARE(text(db, "PRAGMA integrity_check"), QStringLiteral("ok"));
        } // a clean close: checkpointed, WAL removed
        QVERIFY(!QFile::exists(wal));
        const QByteArray checkpointed = sha256(db0);
        const auto refusedAgain = cache::openEncrypted(path, wrong);
        QCOMPARE(qs(refusedAgain.error), QString(cache::kCryptWrongKeyError));
        QCOMPARE(sha256(db0), checkpointed);
        QVERIFY(!QFile::exists(wal));

        Db db(openOrWarn(path, right));
        QVERIFY(db);
        QCOMPARE(scalar(db, "SELECT count(*) FROM notes"), std::int64_t{2000});
        db.close();
        cache::unbindCryptKey(path);
    }

    // WAL recovery with a key nothing has proven (a database whose page 1 is all zeros, beside
    // a WAL): the frames that do not open are not taken for a torn end, so the WAL is neither
    // rebuilt as empty, nor checkpointed, nor deleted.
    void unprovenKeyNeverTouchesTheWal()
    {
        QTemporaryDir dir;
        const std::string source = dir.filePath("source.db").toStdString();
        const auto right = cache::randomCacheKey();
        {
            Db db(openOrWarn(source, right));
            QVERIFY(db);
            QVERIFY(exec(db, "PRAGMA wal_autocheckpoint = 0"));
            QVERIFY(createNotes(db, false));
            QVERIFY(insertNotes(db, 0, 300, false));
            db.closeWithoutCheckpoint();
        }
        const std::string path = dir.filePath("cache.db").toStdString();
        const QString wal = qs(path + "-wal");
        QVERIFY(writeAll(qs(path), QByteArray(kPage, '\0')));
        QVERIFY(QFile::copy(qs(source + "-wal"), wal));
        const QByteArray walHash = sha256(wal);

        const auto wrong = cache::randomCacheKey();
        const auto refused = cache::openEncrypted(path, wrong);
        QVERIFY(refused.db == nullptr);
        QCOMPARE(qs(refused.error), QString(cache::kCryptWrongKeyError));
        QCOMPARE(sha256(wal), walHash);

        cache::bindCryptKey(path, wrong);
        {
            sqlite3* raw = nullptr;
            QCOMPARE(
                sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE, cache::kCryptVfsName),
                SQLITE_OK); // a zero page 1 reads as zeros: SQLite goes on to the WAL
            Db db(raw);
            QCOMPARE(run(db, "SELECT count(*) FROM notes") & 0xff, SQLITE_IOERR);
            QVERIFY(run(db, "CREATE TABLE other(x)") != SQLITE_DONE);
        } // closing tries a checkpoint: it must not delete or truncate the WAL
        QCOMPARE(sha256(wal), walHash);
        QCOMPARE(readAll(qs(path)), QByteArray(kPage, '\0'));
        cache::unbindCryptKey(path);
        cache::unbindCryptKey(source);
    }

    // 4. A changed byte anywhere in a page, or pages swapped, is an error, never data.
    void tamperedPagesFail()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath("cache.db").toStdString();
        const QString file = QString::fromStdString(path);
        const auto key = cache::randomCacheKey();
        {
            Db db(openOrWarn(path, key));
            QVERIFY(db);
            QVERIFY(createNotes(db, false));
            QVERIFY(insertNotes(db, 0, 3000, false));
        }
        const QByteArray original = readAll(file);
        const qint64 pages = original.size() / kPage;
        QVERIFY(pages >= 20);
        const qint64 middle = pages / 2;
        const std::string scan = "SELECT sum(length(body)) FROM notes";

        const auto queryFails = [&](const QByteArray& bytes) {
            if (!writeAll(file, bytes)) {
                return false;
            }
            Db db(openOrWarn(path, key));
            if (!db) {
                return false;
            }
            const int rc = run(db, scan);
            return (rc & 0xff) == SQLITE_IOERR &&
                   text(db, "PRAGMA integrity_check") != QStringLiteral("ok");
        };
        QVERIFY(queryFails(flipped(original, middle * kPage + 1000)));                // ciphertext
        QVERIFY(queryFails(flipped(original, middle * kPage + kPage - 32 + 3)));      // nonce
        QVERIFY(queryFails(flipped(original, middle * kPage + kPage - 32 + 12 + 5))); // tag
        QVERIFY(queryFails(flipped(original, middle * kPage + kPage - 2)));           // spare
        QByteArray swapped = original;
        swapped.replace(middle * kPage, kPage, original.mid((middle + 1) * kPage, kPage));
        QVERIFY(queryFails(swapped));

        // Page 1 carries the schema: nothing opens.
        QVERIFY(writeAll(file, flipped(original, 50)));
        QCOMPARE(qs(cache::openEncrypted(path, key).error), QString(cache::kCryptWrongKeyError));

        QVERIFY(writeAll(file, original));
        Db db(openOrWarn(path, key));
        QVERIFY(db);
        QCOMPARE(run(db, scan), SQLITE_DONE);
        QCOMPARE(text(db, "PRAGMA integrity_check"), QStringLiteral("ok"));
        db.close();
        cache::unbindCryptKey(path);
    }

    // A WAL frame that fails authentication: a reader gets an error; recovery treats it as the
    // torn end of the WAL and keeps every transaction before it.
    void walFrameTampering()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath("cache.db").toStdString();
        const QString wal = QString::fromStdString(path + "-wal");
        const auto key = cache::randomCacheKey();
        Db writer(openOrWarn(path, key));
        QVERIFY(writer);
        QVERIFY(exec(writer, "PRAGMA wal_autocheckpoint = 0"));
        QVERIFY(createNotes(writer, false));
        QVERIFY(insertNotes(writer, 0, 500, false));
        QCOMPARE(text(writer, "PRAGMA wal_checkpoint(TRUNCATE)"), QStringLiteral("0"));
        QVERIFY(insertNotes(writer, 500, 500, false)); // in the WAL only
        const qint64 frames = (QFileInfo(wal).size() - kWalHeader) / kFrame;
        QVERIFY(frames > 2);
        const qint64 lastImage = kWalHeader + (frames - 1) * kFrame + 24;
        const QByteArray image = readAll(wal).mid(lastImage, kPage);
        QVERIFY(patch(wal, lastImage + 100, QByteArray(1, static_cast<char>(image[100] ^ 1))));

        {
            Db reader(openOrWarn(path, key)); // uses the writer's WAL index
            QVERIFY(reader);
            QCOMPARE(run(reader, "SELECT sum(length(body)) FROM notes") & 0xff, SQLITE_IOERR);
        }
        writer.closeWithoutCheckpoint();

        Db db(openOrWarn(path, key)); // recovers the WAL up to the damaged frame
        QVERIFY(db);
        QCOMPARE(scalar(db, "SELECT count(*) FROM notes"), std::int64_t{500});
        QCOMPARE(text(db, "PRAGMA integrity_check"), QStringLiteral("ok"));
        QVERIFY(insertNotes(db, 500, 10, false));
        db.close();
        Db again(openOrWarn(path, key));
        QCOMPARE(scalar(again, "SELECT count(*) FROM notes"), std::int64_t{510});
        QCOMPARE(text(again, "PRAGMA integrity_check"), QStringLiteral("ok"));
        again.close();
        cache::unbindCryptKey(path);
    }

    // 5. Work that spills, sorts, rolls back statements and rebuilds the file.
    void heavyWorkloads()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath("cache.db").toStdString();
        const auto key = cache::randomCacheKey();
        Db db(openOrWarn(path, key));
        QVERIFY(db);
        QVERIFY(exec(db, "PRAGMA cache_size = 20")); // the big transaction spills to the WAL
        QVERIFY(createNotes(db, false));
        QVERIFY(insertNotes(db, 0, 50000, false));
        QCOMPARE(scalar(db, "SELECT count(*) FROM notes"), std::int64_t{50000});

        // A statement that fails half-way inside a transaction rolls back alone.
        QVERIFY(exec(db, "BEGIN"));
        QVERIFY(exec(db,
                     "INSERT INTO notes(id, body, grp) SELECT id + 100000, body, grp FROM notes "
                     "WHERE id < 1000"));
        QCOMPARE(run(db,
                     "INSERT INTO notes(id, body, grp) SELECT id + 200000, body, grp FROM notes "
                     "WHERE id < 5000 UNION ALL SELECT 7, 'duplicate', 0"),
                 SQLITE_CONSTRAINT_PRIMARYKEY);
        QVERIFY(exec(db, "INSERT INTO notes(id, body, grp) VALUES(300000, 'after', 1)"));
        QVERIFY(exec(db, "COMMIT"));
        QCOMPARE(scalar(db, "SELECT count(*) FROM notes"), std::int64_t{51001});
        QCOMPARE(scalar(db, "SELECT count(*) FROM notes WHERE id >= 200000 AND id < 300000"),
                 std::int64_t{0});

        QVERIFY(exec(db, "CREATE INDEX notes_grp_body ON notes(grp, body)"));
        QCOMPARE(scalar(db, "SELECT count(*) FROM notes INDEXED BY notes_grp_body WHERE grp = 5"),
                 scalar(db, "SELECT count(*) FROM notes NOT INDEXED WHERE grp = 5"));

        // A sort no index serves, over every row.
        {
            sqlite3_stmt* statement = nullptr;
            QCOMPARE(sqlite3_prepare_v2(db,
                                        "SELECT substr(body, 25) AS k FROM notes ORDER BY k DESC",
                                        -1, &statement, nullptr),
                     SQLITE_OK);
            std::string previous;
            std::int64_t rows = 0;
            bool ordered = true;
            int rc = SQLITE_ROW;
            while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
                const std::string k =
                    reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
                ordered = ordered && (rows == 0 || k <= previous);
                previous = k;
                ++rows;
            }
            sqlite3_finalize(statement);
            QCOMPARE(rc, SQLITE_DONE);
            QVERIFY(ordered);
            QCOMPARE(rows, std::int64_t{51001});
        }
        QVERIFY(exec(db, "CREATE TEMP TABLE copy AS SELECT * FROM notes ORDER BY random()"));
        QCOMPARE(scalar(db, "SELECT count(*) FROM temp.copy"), std::int64_t{51001});

        QVERIFY(exec(db, "DELETE FROM notes WHERE id % 2 = 0"));
        const std::int64_t before = scalar(db, "PRAGMA page_count");
        QVERIFY(exec(db, "VACUUM"));
        QVERIFY(scalar(db, "PRAGMA page_count") < before);
        QCOMPARE(scalar(db, "SELECT count(*) FROM notes"), std::int64_t{25500});
        QCOMPARE(text(db, "PRAGMA integrity_check"), QStringLiteral("ok"));
        QCOMPARE(scalar(db, "PRAGMA page_size"), std::int64_t{kPage});
        QCOMPARE(reserveBytes(db), cache::kCryptReserveBytes);
        QCOMPARE(text(db, "PRAGMA wal_checkpoint(TRUNCATE)"), QStringLiteral("0"));
        QCOMPARE(plaintextIn(dir.path()), QStringList());
        db.close();

        Db again(openOrWarn(path, key));
        QVERIFY(again);
        QCOMPARE(scalar(again, "SELECT count(*) FROM notes"), std::int64_t{25500});
        QCOMPARE(text(again, "PRAGMA integrity_check"), QStringLiteral("ok"));
        again.close();
        QCOMPARE(plaintextIn(dir.path()), QStringList());
        cache::unbindCryptKey(path);
    }

    // Temporary files are refused, so they cannot hold plaintext: with temp_store = FILE a sort
    // that spills, and a temporary table that spills, fail; openEncrypted's MEMORY makes them work.
    void temporaryFilesAreRefused()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath("cache.db").toStdString();
        const auto key = cache::randomCacheKey();
        Db db(openOrWarn(path, key));
        QVERIFY(db);
        QVERIFY(createNotes(db, false));
        QVERIFY(insertNotes(db, 0, 20000, false));
        const std::string sort = "SELECT body || randomblob(300) AS k FROM notes ORDER BY k";
        const std::string spill = "CREATE TEMP TABLE spill AS SELECT randomblob(500) FROM notes";
        QVERIFY(exec(db, "PRAGMA cache_size = 10"));
        QVERIFY(exec(db, "PRAGMA temp_store = FILE"));
        QCOMPARE(run(db, sort) & 0xff, SQLITE_CANTOPEN);
        QCOMPARE(run(db, spill) & 0xff, SQLITE_CANTOPEN);
        QVERIFY(exec(db, "PRAGMA temp_store = MEMORY"));
        QCOMPARE(run(db, sort), SQLITE_DONE);
        QCOMPARE(run(db, spill), SQLITE_DONE);
        QCOMPARE(scalar(db, "SELECT count(*) FROM temp.spill"), std::int64_t{20000});
        db.close();
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files), QStringList{"cache.db"});
        cache::unbindCryptKey(path);
    }

    // The rollback journal never holds a page: leaving WAL mode (which would journal page 1)
    // fails closed, and the cache stays intact and in WAL mode.
    void rollbackJournalNeverHoldsPages()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath("cache.db").toStdString();
        const auto key = cache::randomCacheKey();
        Db db(openOrWarn(path, key));
        QVERIFY(db);
        QVERIFY(createNotes(db, false));
        QVERIFY(insertNotes(db, 0, 1000, false));
        QCOMPARE(run(db, "PRAGMA journal_mode = DELETE") & 0xff, SQLITE_IOERR);
        QCOMPARE(plaintextIn(dir.path()), QStringList());
        db.close();
        QCOMPARE(plaintextIn(dir.path()), QStringList());
        {
            Db reopened(openOrWarn(path, key));
            QVERIFY(reopened);
            QCOMPARE(text(reopened, "PRAGMA journal_mode"), QStringLiteral("wal"));
            QCOMPARE(scalar(reopened, "SELECT count(*) FROM notes"), std::int64_t{1000});
            QVERIFY(insertNotes(reopened, 1000, 10, false));
        }
        Db again(openOrWarn(path, key));
        QVERIFY(again);
        QCOMPARE(text(again, "PRAGMA journal_mode"), QStringLiteral("wal"));
        QCOMPARE(scalar(again, "SELECT count(*) FROM notes"), std::int64_t{1010});
        QCOMPARE(text(again, "PRAGMA integrity_check"), QStringLiteral("ok"));
        again.close();
        QCOMPARE(plaintextIn(dir.path()), QStringList());
        cache::unbindCryptKey(path);
    }

    // 6. A plain cache becomes an encrypted one with every row, its WAL and user_version included.
    void encryptsPlainDatabase()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath("legacy.db").toStdString();
        {
            Db db(openPlain(path));
            QVERIFY(db);
            QCOMPARE(text(db, "PRAGMA journal_mode = WAL"), QStringLiteral("wal"));
            QVERIFY(exec(db, "PRAGMA wal_autocheckpoint = 0"));
            QVERIFY(exec(db, "PRAGMA user_version = 7"));
            QVERIFY(exec(db, "PRAGMA application_id = 4242"));
            QVERIFY(createNotes(db, true));
            QVERIFY(exec(db, "CREATE INDEX notes_grp ON notes(grp)"));
            QVERIFY(insertNotes(db, 0, 3000, true));
            QCOMPARE(text(db, "PRAGMA wal_checkpoint(TRUNCATE)"), QStringLiteral("0"));
            QVERIFY(insertNotes(db, 3000, 500, true)); // left in the WAL
            db.closeWithoutCheckpoint();
        }
        QVERIFY(sizeOf(path + "-wal") > 0);
        QVERIFY(!plaintextIn(dir.path()).isEmpty()); // the scan does find plaintext
        const QByteArray plainWal = readAll(qs(path + "-wal"));
        QVERIFY(cache::isPlainDatabase(path));

        const auto key = cache::randomCacheKey();
        const std::string error = cache::encryptPlainDatabase(path, key);
        QVERIFY2(error.empty(), error.c_str());
        QVERIFY(!cache::isPlainDatabase(path));
        QVERIFY(!exists(path + ".encrypting"));
        QVERIFY(!exists(path + "-wal"));
        QVERIFY(!exists(path + "-shm"));
        QCOMPARE(plaintextIn(dir.path()), QStringList());

        {
            Db db(openOrWarn(path, key));
            QVERIFY(db);
            QCOMPARE(scalar(db, "SELECT count(*) FROM notes"), std::int64_t{3500});
            QCOMPARE(text(db, "SELECT body FROM notes WHERE id = 3499"), qs(body(3499)));
            QCOMPARE(scalar(db, "PRAGMA user_version"), std::int64_t{7});
            QCOMPARE(scalar(db, "PRAGMA application_id"), std::int64_t{4242});
            QCOMPARE(scalar(db, "SELECT rowid FROM notes_fts WHERE notes_fts MATCH "
                                "'\"ZEBRA-CONFIDENTIAL-4821-3250\"'"),
                     std::int64_t{3250});
            QCOMPARE(text(db, "PRAGMA integrity_check"), QStringLiteral("ok"));
            QCOMPARE(scalar(db, "PRAGMA page_size"), std::int64_t{kPage});
            QCOMPARE(reserveBytes(db), cache::kCryptReserveBytes);
            QCOMPARE(text(db, "PRAGMA journal_mode"), QStringLiteral("wal"));
            QVERIFY(insertNotes(db, 3500, 100, true));
        }
        QCOMPARE(plaintextIn(dir.path()), QStringList());
        QVERIFY(!cache::encryptPlainDatabase(path, key).empty()); // not plain any more

        // Interrupted between the rename and removing the old WAL: the plain WAL's frames do not
        // authenticate, SQLite takes them for a torn end, and the first clean close removes it.
        QVERIFY(writeAll(qs(path + "-wal"), plainWal));
        {
            Db db(openOrWarn(path, key));
            QVERIFY(db);
            QCOMPARE(scalar(db, "SELECT count(*) FROM notes"), std::int64_t{3600});
            QCOMPARE(text(db, "PRAGMA integrity_check"), QStringLiteral("ok"));
            QVERIFY(insertNotes(db, 3600, 10, true));
        }
        QVERIFY(!exists(path + "-wal"));
        QCOMPARE(plaintextIn(dir.path()), QStringList());
        cache::unbindCryptKey(path);
    }

    // A plain cache in rollback mode with small pages comes out with our page layout.
    void encryptsSmallPageRollbackDatabase()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath("small.db").toStdString();
        {
            Db db(openPlain(path));
            QVERIFY(db);
            QVERIFY(exec(db, "PRAGMA page_size = 1024"));
            QVERIFY(exec(db, "PRAGMA user_version = 3"));
            QVERIFY(createNotes(db, false));
            QVERIFY(insertNotes(db, 0, 2000, false));
            QCOMPARE(scalar(db, "PRAGMA page_size"), std::int64_t{1024});
        }
        const auto key = cache::randomCacheKey();
        const std::string error = cache::encryptPlainDatabase(path, key);
        QVERIFY2(error.empty(), error.c_str());
        Db db(openOrWarn(path, key));
        QVERIFY(db);
        QCOMPARE(scalar(db, "PRAGMA page_size"), std::int64_t{kPage});
        QCOMPARE(scalar(db, "PRAGMA user_version"), std::int64_t{3});
        QCOMPARE(scalar(db, "SELECT count(*) FROM notes"), std::int64_t{2000});
        QCOMPARE(text(db, "PRAGMA integrity_check"), QStringLiteral("ok"));
        db.close();
        QCOMPARE(plaintextIn(dir.path()), QStringList());
        cache::unbindCryptKey(path);
    }

    // When the copy cannot be written the original stays exactly as it was.
    void failedEncryptionKeepsOriginal()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath("legacy.db").toStdString();
        const QString file = QString::fromStdString(path);
        {
            Db db(openPlain(path));
            QVERIFY(db);
            QCOMPARE(text(db, "PRAGMA journal_mode = WAL"), QStringLiteral("wal"));
            QVERIFY(exec(db, "PRAGMA wal_autocheckpoint = 0"));
            QVERIFY(createNotes(db, false));
            QVERIFY(insertNotes(db, 0, 1000, false));
            db.closeWithoutCheckpoint();
        }
        const QByteArray dbHash = sha256(file);
        const QByteArray walHash = sha256(file + "-wal");
        QVERIFY(QDir().mkdir(file + ".encrypting"));

        const auto key = cache::randomCacheKey();
        const std::string error = cache::encryptPlainDatabase(path, key);
        QVERIFY(!error.empty());
        QVERIFY(QFileInfo(file + ".encrypting").isDir());
        QCOMPARE(sha256(file), dbHash);
        QCOMPARE(sha256(file + "-wal"), walHash);
        QVERIFY(cache::isPlainDatabase(path));
        {
            Db db(openPlain(path));
            QVERIFY(db);
            QCOMPARE(scalar(db, "SELECT count(*) FROM notes"), std::int64_t{1000});
        }

        // A source that fails half-way through the copy (a damaged page): the partial copy goes.
        {
            const std::string broken = dir.filePath("broken.db").toStdString();
            {
                Db plain(openPlain(broken));
                QVERIFY(plain);
                QVERIFY(createNotes(plain, false));
                QVERIFY(insertNotes(plain, 0, 3000, false));
            }
            const QString brokenFile = qs(broken);
            const qint64 pages = QFileInfo(brokenFile).size() / kPage;
            QVERIFY(patch(brokenFile, (pages - 2) * kPage, QByteArray(kPage, '\x7f')));
            const QByteArray brokenHash = sha256(brokenFile);
            QVERIFY(!cache::encryptPlainDatabase(broken, key).empty());
            QCOMPARE(sha256(brokenFile), brokenHash);
            QVERIFY(!exists(broken + ".encrypting"));
            QVERIFY(cache::isPlainDatabase(broken));
            QVERIFY(QFile::remove(brokenFile));
        }

        // A file left by an interrupted run is replaced.
        QVERIFY(QDir().rmdir(file + ".encrypting"));
        QVERIFY(writeAll(file + ".encrypting", QByteArray(5000, 'x')));
        const std::string retried = cache::encryptPlainDatabase(path, key);
        QVERIFY2(retried.empty(), retried.c_str());
        Db db(openOrWarn(path, key));
        QVERIFY(db);
        QCOMPARE(scalar(db, "SELECT count(*) FROM notes"), std::int64_t{1000});
        db.close();
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files), QStringList{"legacy.db"});
        cache::unbindCryptKey(path);
    }

    // 7. A writer killed (SIGKILL) in a stream of small transactions leaves a cache that checks
    //    and holds a prefix of its commits, at least those it reported.
    void survivesKilledWriter()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath("cache.db").toStdString();
        const auto key = cache::randomCacheKey();
        std::int64_t committed = 0;
        for (int round = 0; round < 3; ++round) {
            QProcess child;
            child.start(
                QCoreApplication::applicationFilePath(),
                {"--crash-writer", QString::fromStdString(path), QString::fromStdString(hex(key))});
            QVERIFY(child.waitForStarted());
            std::int64_t reported = committed;
            QByteArray pending;
            const auto drain = [&] {
                pending += child.readAllStandardOutput();
                qsizetype end = 0;
                while ((end = pending.indexOf('\n')) >= 0) {
                    reported = std::max<std::int64_t>(reported, pending.left(end).toLongLong());
                    pending.remove(0, end + 1);
                }
            };
            const std::int64_t target = committed + 40 + std::int64_t{37} * round;
            QElapsedTimer timer;
            timer.start();
            while (reported < target) {
                QVERIFY2(child.state() == QProcess::Running,
                         child.readAllStandardError().constData());
                QVERIFY2(timer.elapsed() < 120000, "the writer is too slow");
                child.waitForReadyRead(1000);
                drain();
            }
            child.kill();
            QVERIFY(child.waitForFinished(10000));
            QCOMPARE(child.exitStatus(), QProcess::CrashExit);
            drain();

            Db db(openOrWarn(path, key));
            QVERIFY(db);
            QCOMPARE(text(db, "PRAGMA integrity_check"), QStringLiteral("ok"));
            const std::int64_t count = scalar(db, "SELECT count(*) FROM events");
            QVERIFY2(count >= reported,
                     qPrintable(QStringLiteral("%1 rows, %2 reported").arg(count).arg(reported)));
            QCOMPARE(scalar(db, "SELECT max(id) FROM events"), count); // a prefix: 1..count
            QCOMPARE(scalar(db, "SELECT count(*) FROM events WHERE body = '" + kMarker +
                                    "' || id AND length(pad) = 700"),
                     count);
            committed = count;
        }
        QCOMPARE(plaintextIn(dir.path()), QStringList());
        cache::unbindCryptKey(path);
    }

    // 8. Without a key bound, the VFS opens nothing (and creates no file).
    void refusesWithoutKey()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath("nokey.db").toStdString();
        const auto tryOpen = [&](const std::string& name) {
            sqlite3* db = nullptr;
            const int rc =
                sqlite3_open_v2(name.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                cache::kCryptVfsName);
            sqlite3_close_v2(db);
            return rc;
        };
        QCOMPARE(tryOpen(path), SQLITE_CANTOPEN);
        QVERIFY(!exists(path));

        const auto key = cache::randomCacheKey();
        cache::bindCryptKey(path, key);
        cache::unbindCryptKey(path);
        QCOMPARE(tryOpen(path), SQLITE_CANTOPEN);
        QVERIFY(!exists(path));

        // Any spelling of the same path finds the key.
        cache::bindCryptKey(dir.path().toStdString() + "/./sub/../nokey.db", key);
        QCOMPARE(tryOpen(path), SQLITE_OK);
        cache::unbindCryptKey(path);
        QCOMPARE(tryOpen(path), SQLITE_CANTOPEN);

        // A temporary database through the VFS cannot reach the disk either.
        sqlite3* temp = nullptr;
        QCOMPARE(sqlite3_open_v2("", &temp, SQLITE_OPEN_READWRITE, cache::kCryptVfsName),
                 SQLITE_OK);
        Db db(temp);
        QVERIFY(exec(db, "PRAGMA cache_size = 5"));
        QVERIFY(exec(db, "CREATE TABLE t(x)"));
        QCOMPARE(run(db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < "
                         "200) INSERT INTO t SELECT randomblob(1000) FROM n") &
                     0xff,
                 SQLITE_CANTOPEN);
    }

    // Several connections on several threads at once. Writers checkpoint all the time and
    // rewrite page 1 (user_version) in every transaction, while readers keep opening new
    // connections, whose first read of the header takes no lock.
    void concurrentConnections()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath("cache.db").toStdString();
        const auto key = cache::randomCacheKey();
        {
            Db db(openOrWarn(path, key));
            QVERIFY(db);
            QVERIFY(createNotes(db, false));
        }
        std::atomic<int> failures{0};
        std::vector<std::thread> threads;
        threads.reserve(4);
        for (int w = 0; w < 2; ++w) {
            threads.emplace_back([&, w] {
                Db db(openOrWarn(path, key, SQLITE_OPEN_NOMUTEX));
                if (!db) {
                    ++failures;
                    return;
                }
                sqlite3_busy_timeout(db, 20000);
                exec(db, "PRAGMA wal_autocheckpoint = 2");
                for (int i = 0; i < 150; ++i) {
                    if (!insertNotes(db, w * 1000 + i, 1, false) ||
                        !exec(db, "PRAGMA user_version = " + std::to_string(w * 1000 + i))) {
                        ++failures;
                    }
                }
            });
        }
        for (int r = 0; r < 2; ++r) {
            threads.emplace_back([&] {
                std::int64_t last = 0;
                for (int i = 0; i < 100; ++i) {
                    Db db(openOrWarn(path, key, SQLITE_OPEN_NOMUTEX));
                    if (!db) {
                        ++failures;
                        continue;
                    }
                    sqlite3_busy_timeout(db, 20000);
                    const std::int64_t n = scalar(db, "SELECT count(*) FROM notes");
                    if (n < last) {
                        qWarning("count went from %lld to %lld", static_cast<long long>(last),
                                 static_cast<long long>(n));
                        ++failures;
                    }
                    last = n;
                }
            });
        }
        for (auto& t : threads) {
            t.join();
        }
        QCOMPARE(failures.load(), 0);
        Db db(openOrWarn(path, key));
        QVERIFY(db);
        QCOMPARE(scalar(db, "SELECT count(*) FROM notes"), std::int64_t{300});
        QCOMPARE(text(db, "PRAGMA integrity_check"), QStringLiteral("ok"));
        db.close();
        cache::unbindCryptKey(path);
    }

    void isPlainDatabaseTellsFilesApart()
    {
        QTemporaryDir dir;
        const std::string plain = dir.filePath("plain.db").toStdString();
        {
            Db db(openPlain(plain));
            QVERIFY(exec(db, "CREATE TABLE t(x)"));
        }
        QVERIFY(cache::isPlainDatabase(plain));
        QVERIFY(!cache::isPlainDatabase(dir.filePath("missing.db").toStdString()));
        QVERIFY(writeAll(dir.filePath("empty.db"), {}));
        QVERIFY(!cache::isPlainDatabase(dir.filePath("empty.db").toStdString()));
        QVERIFY(!cache::isPlainDatabase(dir.path().toStdString()));
        const auto opened = cache::openEncrypted(plain, cache::randomCacheKey());
        QVERIFY(opened.db == nullptr);
        QVERIFY(!opened.error.empty());
        QVERIFY(cache::isPlainDatabase(plain)); // untouched
    }
};

int main(int argc, char** argv)
{
    if (argc == 4 && std::strcmp(argv[1], "--crash-writer") == 0) {
        return crashWriter(argv[2], argv[3]);
    }
    QCoreApplication app(argc, argv);
    TestCryptVfs test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

#include "tst_cryptvfs.moc"
