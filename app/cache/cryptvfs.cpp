#include "app/cache/cryptvfs.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <utility>

#ifdef _WIN32
#include <fcntl.h>
#include <io.h>
#else
#include <fcntl.h>
#include <unistd.h>
#endif

namespace cc::app::cache {
namespace {

constexpr int kPage = kCryptPageSize;
constexpr int kReserve = kCryptReserveBytes;
constexpr int kNonceBytes = 12;
constexpr int kTagBytes = 16;
constexpr int kSealedBytes = kPage - kReserve; // encrypted part of a page image
constexpr int kWalHeader = 32;
constexpr int kFrameHeader = 24;
constexpr int kFrame = kFrameHeader + kPage;
constexpr int kJournalHeaderFields = 28; // magic, nRec, checksum seed, size, sector, page size
constexpr std::size_t kSize = static_cast<std::size_t>(kPage);
constexpr std::string_view kPlainMagic{"SQLite format 3\0", 16}; // a plain database begins so
constexpr int kOpenBusyMs = 10000; // openEncrypted's wait for other connections' locks

// Our own file-control opcode (SQLite's are small numbers): the authentication state of a
// connection's main database file, for openEncrypted's wrong-key message.
constexpr int kFcntlAuthState = 0x63637631;

struct AuthState {
    bool keyVerified;     // a page of the database or its WAL authenticated
    bool firstPageFailed; // page 1 (database page 0, or a WAL frame of page 1) did not
    unsigned long failures;
};

enum class Kind : unsigned char { MainDb = 1, Wal = 2, Journal = 3 };

// The sqlite3_file SQLite allocates (szOsFile bytes, 8-byte aligned, not constructed): this
// struct, then the base VFS's file at kRealOffset. Plain data only.
struct CryptFile {
    sqlite3_file base; // first: SQLite sees this
    sqlite3_file* real;
    CryptFile* mainDb; // WAL and journal: their connection's database file (closed after them)
    EVP_CIPHER_CTX* cipher;
    sqlite3_int64 cachedHeaderOffset; // WAL: offset of the frame header written last, or -1
    std::uint32_t cachedHeaderPage;   // its page number
    Kind kind;
    AuthState auth; // main database: of this connection
    std::array<unsigned char, kCacheKeyBytes> key;
    std::array<unsigned char, kFrame> scratch;
};

constexpr int kRealOffset = static_cast<int>((sizeof(CryptFile) + 15) / 16 * 16);

sqlite3_vfs* gBase = nullptr;
sqlite3_vfs gVfs{};
sqlite3_io_methods gMethods{};

CryptFile* asCryptFile(sqlite3_file* file)
{
    return reinterpret_cast<CryptFile*>(file);
}

sqlite3_file* realFile(CryptFile* f)
{
    return reinterpret_cast<sqlite3_file*>(reinterpret_cast<unsigned char*>(f) + kRealOffset);
}

// ---- Key bindings ----

struct Registry {
    std::mutex mutex;
    std::map<std::string, CacheKey> keys;
    ~Registry()
    {
        for (auto& entry : keys) {
            OPENSSL_cleanse(entry.second.data(), entry.second.size());
        }
    }
};

Registry& registry()
{
    static Registry instance;
    return instance;
}

// The name SQLite hands to xOpen for this path: the base VFS's full pathname.
std::string fullPath(const std::string& path)
{
    std::string out(static_cast<std::size_t>(gBase->mxPathname) + 1, '\0');
    const int rc = gBase->xFullPathname(gBase, path.c_str(), gBase->mxPathname + 1, out.data());
    if ((rc & 0xff) != SQLITE_OK) {
        return path;
    }
    out.resize(std::strlen(out.c_str()));
    return out;
}

bool lookupKey(const char* name, unsigned char* key)
{
    auto& r = registry();
    const std::lock_guard lock(r.mutex);
    const auto found = r.keys.find(name);
    if (found == r.keys.end()) {
        return false;
    }
    std::memcpy(key, found->second.data(), kCacheKeyBytes);
    return true;
}

// Binds key to path (nullptr: unbinds) and returns what was bound before.
std::optional<CacheKey> exchangeBinding(const std::string& path, const CacheKey* key)
{
    const std::string name = fullPath(path);
    auto& r = registry();
    const std::lock_guard lock(r.mutex);
    std::optional<CacheKey> previous;
    const auto found = r.keys.find(name);
    if (found != r.keys.end()) {
        previous = found->second;
        OPENSSL_cleanse(found->second.data(), found->second.size());
        if (key != nullptr) {
            found->second = *key;
        } else {
            r.keys.erase(found);
        }
    } else if (key != nullptr) {
        r.keys.emplace(name, *key);
    }
    return previous;
}

void wipe(std::optional<CacheKey>& key)
{
    if (key) {
        OPENSSL_cleanse(key->data(), key->size());
        key.reset();
    }
}

// ---- Page sealing ----

void putBe64(unsigned char* p, std::uint64_t v)
{
    for (int i = 7; i >= 0; --i) {
        p[i] = static_cast<unsigned char>(v & 0xffU);
        v >>= 8;
    }
}

void putBe32(unsigned char* p, std::uint32_t v)
{
    for (int i = 3; i >= 0; --i) {
        p[i] = static_cast<unsigned char>(v & 0xffU);
        v >>= 8;
    }
}

std::uint32_t getBe32(const unsigned char* p)
{
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           std::uint32_t{p[3]};
}

bool allZero(const unsigned char* p, std::size_t n)
{
    return std::all_of(p, p + n, [](unsigned char c) { return c == 0; });
}

struct Aad {
    std::array<unsigned char, 13> bytes;
    int size;
};

Aad dbAad(sqlite3_int64 pageIndex)
{
    Aad a{};
    putBe64(a.bytes.data(), static_cast<std::uint64_t>(pageIndex));
    a.bytes[8] = static_cast<unsigned char>(Kind::MainDb);
    a.size = 9;
    return a;
}

Aad walAad(sqlite3_int64 frameOffset, std::uint32_t page)
{
    Aad a{};
    putBe64(a.bytes.data(), static_cast<std::uint64_t>(frameOffset));
    putBe32(a.bytes.data() + 8, page);
    a.bytes[12] = static_cast<unsigned char>(Kind::Wal);
    a.size = 13;
    return a;
}

// plain: a page image (its reserved area must be zero); out: kPage bytes, distinct from plain.
bool seal(EVP_CIPHER_CTX* cipher, const unsigned char* plain, unsigned char* out, const Aad& aad)
{
    unsigned char* nonce = out + kSealedBytes;
    unsigned char* tag = nonce + kNonceBytes;
    int len = 0;
    int last = 0;
    if (RAND_bytes(nonce, kNonceBytes) != 1 ||
        EVP_CipherInit_ex(cipher, nullptr, nullptr, nullptr, nonce, 1) != 1 ||
        EVP_CipherUpdate(cipher, nullptr, &len, aad.bytes.data(), aad.size) != 1 ||
        EVP_CipherUpdate(cipher, out, &len, plain, kSealedBytes) != 1 || len != kSealedBytes ||
        EVP_CipherFinal_ex(cipher, out + len, &last) != 1 ||
        EVP_CIPHER_CTX_ctrl(cipher, EVP_CTRL_GCM_GET_TAG, kTagBytes, tag) != 1) {
        return false;
    }
    std::memset(tag + kTagBytes, 0, static_cast<std::size_t>(kReserve - kNonceBytes - kTagBytes));
    return true;
}

// Authenticates and decrypts a sealed page image in place; the reserved area reads as zeros. On
// failure the whole image is zeroed: unauthenticated bytes never reach SQLite.
bool unseal(EVP_CIPHER_CTX* cipher, unsigned char* page, const Aad& aad)
{
    std::array<unsigned char, kNonceBytes> nonce{};
    std::array<unsigned char, kTagBytes> tag{};
    std::memcpy(nonce.data(), page + kSealedBytes, nonce.size());
    std::memcpy(tag.data(), page + kSealedBytes + kNonceBytes, tag.size());
    const bool spareClear = allZero(page + kSealedBytes + kNonceBytes + kTagBytes,
                                    static_cast<std::size_t>(kReserve - kNonceBytes - kTagBytes));
    int len = 0;
    int last = 0;
    const bool ok =
        spareClear && EVP_CipherInit_ex(cipher, nullptr, nullptr, nullptr, nonce.data(), 0) == 1 &&
        EVP_CipherUpdate(cipher, nullptr, &len, aad.bytes.data(), aad.size) == 1 &&
        EVP_CipherUpdate(cipher, page, &len, page, kSealedBytes) == 1 && len == kSealedBytes &&
        EVP_CIPHER_CTX_ctrl(cipher, EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) == 1 &&
        EVP_CipherFinal_ex(cipher, page + len, &last) == 1;
    std::memset(page + kSealedBytes, 0, static_cast<std::size_t>(kReserve));
    if (!ok) {
        OPENSSL_cleanse(page, kSize);
    }
    return ok;
}

// Page 1 as SQLite writes it: our page size and room for nonce and tag.
bool headerFits(const unsigned char* page)
{
    const unsigned pageSize = (unsigned{page[16]} << 8) | unsigned{page[17]};
    return std::memcmp(page, kPlainMagic.data(), kPlainMagic.size()) == 0 &&
           pageSize == static_cast<unsigned>(kPage) && page[20] >= kReserve;
}

AuthState& authOf(CryptFile* f)
{
    return f->mainDb != nullptr ? f->mainDb->auth : f->auth;
}

void noteFailure(CryptFile* f, bool firstPage)
{
    AuthState& auth = authOf(f);
    ++auth.failures;
    auth.firstPageFailed = auth.firstPageFailed || firstPage;
}

// ---- Main database ----

// Reads page `index` into page (kPage bytes) as plaintext. SQLite reads the database header
// without a lock (sqlite3BtreeOpen), so that read can meet a checkpoint rewriting page 1 in
// another connection: a page that fails authentication is read again before it counts.
int readMainDbPage(CryptFile* f, unsigned char* page, sqlite3_int64 index)
{
    constexpr int kAttempts = 3;
    for (int attempt = 1;; ++attempt) {
        const int rc = f->real->pMethods->xRead(f->real, page, kPage, index * kPage);
        if (rc != SQLITE_OK && rc != SQLITE_IOERR_SHORT_READ) {
            return rc;
        }
        if (allZero(page, kSize)) {
            return rc; // sparse or past the end: zeros, like the base VFS
        }
        // A partial page (short read) cannot be authenticated.
        if (rc == SQLITE_OK && unseal(f->cipher, page, dbAad(index))) {
            f->auth.keyVerified = true;
            return SQLITE_OK;
        }
        if (attempt == kAttempts) {
            noteFailure(f, index == 0);
            OPENSSL_cleanse(page, kSize);
            // Page 1 that does not open: for SQLite "not a database" (a wrong key, mostly).
            return index == 0 ? SQLITE_NOTADB : SQLITE_IOERR_READ;
        }
        gBase->xSleep(gBase, 1000);
    }
}

int readMainDb(CryptFile* f, unsigned char* out, int amt, sqlite3_int64 offset)
{
    const sqlite3_int64 end = offset + amt;
    bool shortRead = false;
    for (sqlite3_int64 index = offset / kPage; index * kPage < end; ++index) {
        const sqlite3_int64 start = index * kPage;
        const sqlite3_int64 from = std::max(offset, start);
        const sqlite3_int64 to = std::min(end, start + kPage);
        const bool whole = from == start && to == start + kPage;
        unsigned char* page = whole ? out + (from - offset) : f->scratch.data();
        const int rc = readMainDbPage(f, page, index);
        if (rc == SQLITE_IOERR_SHORT_READ) {
            shortRead = true;
        } else if (rc != SQLITE_OK) {
            std::memset(out, 0, static_cast<std::size_t>(amt));
            return rc;
        }
        if (!whole) {
            std::memcpy(out + (from - offset), f->scratch.data() + (from - start),
                        static_cast<std::size_t>(to - from));
        }
    }
    return shortRead ? SQLITE_IOERR_SHORT_READ : SQLITE_OK;
}

int writeMainDb(CryptFile* f, const unsigned char* in, int amt, sqlite3_int64 offset)
{
    if (amt <= 0 || amt % kPage != 0 || offset % kPage != 0) {
        return SQLITE_IOERR_WRITE;
    }
    for (int done = 0; done < amt; done += kPage) {
        const unsigned char* plain = in + done;
        const sqlite3_int64 index = offset / kPage + done / kPage;
        if (!allZero(plain + kSealedBytes, static_cast<std::size_t>(kReserve)) ||
            (index == 0 && !headerFits(plain)) ||
            !seal(f->cipher, plain, f->scratch.data(), dbAad(index))) {
            return SQLITE_IOERR_WRITE;
        }
        const int rc = f->real->pMethods->xWrite(f->real, f->scratch.data(), kPage, index * kPage);
        if (rc != SQLITE_OK) {
            return rc;
        }
    }
    return SQLITE_OK;
}

// ---- WAL ----

// The key is right when page 1 of the database file authenticates (or a page did already).
// Called from WAL recovery, which holds SQLite's checkpoint lock: no checkpoint writes page 1 now.
bool keyProven(CryptFile* wal)
{
    CryptFile* db = wal->mainDb;
    if (db == nullptr) {
        return false;
    }
    if (!db->auth.keyVerified) {
        std::array<unsigned char, kPage> page{};
        readMainDbPage(db, page.data(), 0); // sets keyVerified when page 1 authenticates
        OPENSSL_cleanse(page.data(), page.size());
        if (!db->auth.keyVerified) {
            noteFailure(wal, true);
        }
    }
    return db->auth.keyVerified;
}

// A whole frame that failed authentication during recovery: give SQLite a frame whose salt does
// not match the WAL header's, so it stops there exactly as at a torn frame.
int spoilFrame(CryptFile* f, unsigned char* frame)
{
    std::array<unsigned char, 8> salt{};
    const int rc = f->real->pMethods->xRead(f->real, salt.data(), 8, 16);
    if (rc != SQLITE_OK) {
        return SQLITE_IOERR_READ;
    }
    for (std::size_t i = 0; i < salt.size(); ++i) {
        frame[8 + i] = static_cast<unsigned char>(~salt[i]);
    }
    return SQLITE_OK;
}

int readPlain(CryptFile* f, unsigned char* out, sqlite3_int64 from, sqlite3_int64 to)
{
    return f->real->pMethods->xRead(f->real, out, static_cast<int>(to - from), from);
}

int readWal(CryptFile* f, unsigned char* out, int amt, sqlite3_int64 offset)
{
    const sqlite3_int64 end = offset + amt;
    bool shortRead = false;
    sqlite3_int64 pos = offset;
    int rc = SQLITE_OK;
    while (pos < end && rc == SQLITE_OK) {
        if (pos < kWalHeader) {
            const sqlite3_int64 to = std::min<sqlite3_int64>(end, kWalHeader);
            rc = readPlain(f, out + (pos - offset), pos, to);
            pos = to;
        } else {
            const sqlite3_int64 frameStart = kWalHeader + (pos - kWalHeader) / kFrame * kFrame;
            const sqlite3_int64 to = std::min(end, frameStart + kFrame);
            if (to <= frameStart + kFrameHeader) {
                rc = readPlain(f, out + (pos - offset), pos, to);
            } else {
                const bool whole = pos == frameStart && to == frameStart + kFrame;
                unsigned char* frame = whole ? out + (pos - offset) : f->scratch.data();
                rc = f->real->pMethods->xRead(f->real, frame, kFrame, frameStart);
                unsigned char* image = frame + kFrameHeader;
                if (rc == SQLITE_IOERR_SHORT_READ) {
                    // Past the end: zeros, like the base VFS; a partial image is not a page.
                    shortRead = true;
                    rc = allZero(image, kSize) ? SQLITE_OK : SQLITE_IOERR_READ;
                } else if (rc == SQLITE_OK) {
                    const std::uint32_t pageNo = getBe32(frame);
                    if (unseal(f->cipher, image, walAad(frameStart, pageNo))) {
                        authOf(f).keyVerified = true;
                    } else if (whole && keyProven(f)) {
                        // Whole frames are read by recovery (and checksum rewriting), which must
                        // survive a torn frame at the end of the WAL.
                        rc = spoilFrame(f, frame);
                    } else {
                        noteFailure(f, pageNo == 1);
                        rc = SQLITE_IOERR_READ;
                    }
                }
                if (rc == SQLITE_OK && !whole) {
                    std::memcpy(out + (pos - offset), f->scratch.data() + (pos - frameStart),
                                static_cast<std::size_t>(to - pos));
                }
            }
            pos = to;
        }
        if (rc == SQLITE_IOERR_SHORT_READ) {
            shortRead = true;
            rc = SQLITE_OK;
        }
    }
    if (rc != SQLITE_OK) {
        std::memset(out, 0, static_cast<std::size_t>(amt));
        return rc;
    }
    return shortRead ? SQLITE_IOERR_SHORT_READ : SQLITE_OK;
}

int writePlain(CryptFile* f, const unsigned char* in, sqlite3_int64 from, sqlite3_int64 to)
{
    return f->real->pMethods->xWrite(f->real, in, static_cast<int>(to - from), from);
}

// Writes of the WAL header, of frame headers, and of whole page images at their place.
int writeWal(CryptFile* f, const unsigned char* in, int amt, sqlite3_int64 offset)
{
    const sqlite3_int64 end = offset + amt;
    sqlite3_int64 pos = offset;
    while (pos < end) {
        int rc = SQLITE_OK;
        if (pos < kWalHeader) {
            const sqlite3_int64 to = std::min<sqlite3_int64>(end, kWalHeader);
            if (pos <= 8 && to >= 12 &&
                getBe32(in + (8 - offset)) != static_cast<std::uint32_t>(kPage)) {
                return SQLITE_IOERR_WRITE; // a WAL of another page size
            }
            rc = writePlain(f, in + (pos - offset), pos, to);
            pos = to;
        } else {
            const sqlite3_int64 frameStart = kWalHeader + (pos - kWalHeader) / kFrame * kFrame;
            const sqlite3_int64 imageStart = frameStart + kFrameHeader;
            if (pos < imageStart) {
                const sqlite3_int64 to = std::min(end, imageStart);
                if (pos == frameStart && to >= frameStart + 4) {
                    f->cachedHeaderOffset = frameStart;
                    f->cachedHeaderPage = getBe32(in + (pos - offset));
                } else if (pos < frameStart + 4) {
                    f->cachedHeaderOffset = -1;
                }
                rc = writePlain(f, in + (pos - offset), pos, to);
                pos = to;
            } else {
                if (pos != imageStart || end < imageStart + kPage) {
                    return SQLITE_IOERR_WRITE;
                }
                const unsigned char* plain = in + (pos - offset);
                std::uint32_t pageNo = 0;
                if (f->cachedHeaderOffset == frameStart) {
                    pageNo = f->cachedHeaderPage;
                } else {
                    std::array<unsigned char, 4> number{};
                    if (f->real->pMethods->xRead(f->real, number.data(), 4, frameStart) !=
                        SQLITE_OK) {
                        return SQLITE_IOERR_WRITE;
                    }
                    pageNo = getBe32(number.data());
                }
                if (!allZero(plain + kSealedBytes, static_cast<std::size_t>(kReserve)) ||
                    !seal(f->cipher, plain, f->scratch.data(), walAad(frameStart, pageNo))) {
                    return SQLITE_IOERR_WRITE;
                }
                rc = f->real->pMethods->xWrite(f->real, f->scratch.data(), kPage, pos);
                pos += kPage;
            }
        }
        if (rc != SQLITE_OK) {
            return rc;
        }
    }
    return SQLITE_OK;
}

// ---- Rollback journal: its header fields, nothing else ----

int writeJournal(CryptFile* f, const unsigned char* in, int amt, sqlite3_int64 offset)
{
    for (int i = 0; i < amt; ++i) {
        if (offset + i >= kJournalHeaderFields && in[i] != 0) {
            return SQLITE_IOERR_WRITE;
        }
    }
    return f->real->pMethods->xWrite(f->real, in, amt, offset);
}

// ---- io_methods ----

int cryptClose(sqlite3_file* file)
{
    CryptFile* f = asCryptFile(file);
    int rc = SQLITE_OK;
    if (f->real->pMethods != nullptr) {
        rc = f->real->pMethods->xClose(f->real);
        f->real->pMethods = nullptr;
    }
    EVP_CIPHER_CTX_free(f->cipher);
    f->cipher = nullptr;
    OPENSSL_cleanse(f->key.data(), f->key.size());
    OPENSSL_cleanse(f->scratch.data(), f->scratch.size());
    return rc;
}

int cryptRead(sqlite3_file* file, void* out, int amt, sqlite3_int64 offset)
{
    CryptFile* f = asCryptFile(file);
    auto* bytes = static_cast<unsigned char*>(out);
    switch (f->kind) {
    case Kind::MainDb:
        return readMainDb(f, bytes, amt, offset);
    case Kind::Wal:
        return readWal(f, bytes, amt, offset);
    case Kind::Journal:
        break;
    }
    return f->real->pMethods->xRead(f->real, out, amt, offset);
}

int cryptWrite(sqlite3_file* file, const void* in, int amt, sqlite3_int64 offset)
{
    CryptFile* f = asCryptFile(file);
    const auto* bytes = static_cast<const unsigned char*>(in);
    switch (f->kind) {
    case Kind::MainDb:
        return writeMainDb(f, bytes, amt, offset);
    case Kind::Wal:
        return writeWal(f, bytes, amt, offset);
    case Kind::Journal:
        return writeJournal(f, bytes, amt, offset);
    }
    return SQLITE_IOERR_WRITE;
}

int cryptTruncate(sqlite3_file* file, sqlite3_int64 size)
{
    CryptFile* f = asCryptFile(file);
    f->cachedHeaderOffset = -1;
    return f->real->pMethods->xTruncate(f->real, size);
}

int cryptSync(sqlite3_file* file, int flags)
{
    return asCryptFile(file)->real->pMethods->xSync(asCryptFile(file)->real, flags);
}

int cryptFileSize(sqlite3_file* file, sqlite3_int64* size)
{
    return asCryptFile(file)->real->pMethods->xFileSize(asCryptFile(file)->real, size);
}

int cryptLock(sqlite3_file* file, int level)
{
    return asCryptFile(file)->real->pMethods->xLock(asCryptFile(file)->real, level);
}

int cryptUnlock(sqlite3_file* file, int level)
{
    return asCryptFile(file)->real->pMethods->xUnlock(asCryptFile(file)->real, level);
}

int cryptCheckReservedLock(sqlite3_file* file, int* out)
{
    return asCryptFile(file)->real->pMethods->xCheckReservedLock(asCryptFile(file)->real, out);
}

int cryptFileControl(sqlite3_file* file, int op, void* arg)
{
    CryptFile* f = asCryptFile(file);
    if (op == kFcntlAuthState) {
        *static_cast<AuthState*>(arg) = authOf(f);
        return SQLITE_OK;
    }
    const int rc = f->real->pMethods->xFileControl(f->real, op, arg);
    if (op == SQLITE_FCNTL_PERSIST_WAL && rc == SQLITE_OK && authOf(f).failures > 0 &&
        !authOf(f).keyVerified) {
        // Asked by the WAL on close: a connection whose key opened nothing keeps the WAL as it
        // is (its frames may be unreadable only to this connection's key).
        *static_cast<int*>(arg) = 1;
    } else if (op == SQLITE_FCNTL_VFSNAME && rc == SQLITE_OK) {
        auto* name = static_cast<char**>(arg);
        *name = sqlite3_mprintf("%s/%z", kCryptVfsName, *name);
    }
    return rc;
}

int cryptSectorSize(sqlite3_file* file)
{
    return asCryptFile(file)->real->pMethods->xSectorSize(asCryptFile(file)->real);
}

int cryptDeviceCharacteristics(sqlite3_file* file)
{
    return asCryptFile(file)->real->pMethods->xDeviceCharacteristics(asCryptFile(file)->real) &
           ~SQLITE_IOCAP_BATCH_ATOMIC;
}

int cryptShmMap(sqlite3_file* file, int region, int size, int extend, void volatile** out)
{
    sqlite3_file* real = asCryptFile(file)->real;
    if (real->pMethods->iVersion < 2) {
        return SQLITE_IOERR_SHMMAP;
    }
    return real->pMethods->xShmMap(real, region, size, extend, out);
}

int cryptShmLock(sqlite3_file* file, int offset, int n, int flags)
{
    sqlite3_file* real = asCryptFile(file)->real;
    return real->pMethods->xShmLock(real, offset, n, flags);
}

void cryptShmBarrier(sqlite3_file* file)
{
    sqlite3_file* real = asCryptFile(file)->real;
    real->pMethods->xShmBarrier(real);
}

int cryptShmUnmap(sqlite3_file* file, int deleteFlag)
{
    sqlite3_file* real = asCryptFile(file)->real;
    if (real->pMethods->iVersion < 2) {
        return SQLITE_OK;
    }
    return real->pMethods->xShmUnmap(real, deleteFlag);
}

// ---- VFS ----

int cryptOpen(sqlite3_vfs* /*vfs*/, sqlite3_filename name, sqlite3_file* file, int flags,
              int* outFlags)
{
    CryptFile* f = asCryptFile(file);
    std::memset(f, 0, sizeof(CryptFile));
    f->real = realFile(f);
    f->cachedHeaderOffset = -1;
    if ((flags & SQLITE_OPEN_MAIN_DB) != 0) {
        f->kind = Kind::MainDb;
    } else if ((flags & SQLITE_OPEN_WAL) != 0) {
        f->kind = Kind::Wal;
    } else if ((flags & SQLITE_OPEN_MAIN_JOURNAL) != 0) {
        f->kind = Kind::Journal;
    } else {
        return SQLITE_CANTOPEN; // temporary files stay in memory (temp_store = MEMORY)
    }
    if (name == nullptr) {
        return SQLITE_CANTOPEN;
    }
    if (f->kind == Kind::MainDb) {
        if (!lookupKey(name, f->key.data())) {
            return SQLITE_CANTOPEN;
        }
    } else {
        sqlite3_file* db = sqlite3_database_file_object(name);
        if (db == nullptr || db->pMethods != &gMethods) {
            return SQLITE_CANTOPEN;
        }
        f->mainDb = asCryptFile(db);
        f->key = f->mainDb->key;
    }
    if (f->kind != Kind::Journal) {
        f->cipher = EVP_CIPHER_CTX_new();
        if (f->cipher == nullptr || EVP_CipherInit_ex(f->cipher, EVP_aes_256_gcm(), nullptr,
                                                      f->key.data(), nullptr, 1) != 1) {
            EVP_CIPHER_CTX_free(f->cipher);
            OPENSSL_cleanse(f->key.data(), f->key.size());
            return SQLITE_NOMEM;
        }
    }
    if (f->kind != Kind::MainDb) {
        OPENSSL_cleanse(f->key.data(), f->key.size()); // only the database file hands it on
    }
    const int rc = gBase->xOpen(gBase, name, f->real, flags, outFlags);
    if (rc != SQLITE_OK) {
        if (f->real->pMethods != nullptr) {
            f->real->pMethods->xClose(f->real);
        }
        EVP_CIPHER_CTX_free(f->cipher);
        OPENSSL_cleanse(f->key.data(), f->key.size());
        return rc;
    }
    f->base.pMethods = &gMethods;
    return SQLITE_OK;
}

int vfsDelete(sqlite3_vfs* /*vfs*/, const char* name, int syncDir)
{
    return gBase->xDelete(gBase, name, syncDir);
}

int vfsAccess(sqlite3_vfs* /*vfs*/, const char* name, int flags, int* out)
{
    return gBase->xAccess(gBase, name, flags, out);
}

int vfsFullPathname(sqlite3_vfs* /*vfs*/, const char* name, int size, char* out)
{
    return gBase->xFullPathname(gBase, name, size, out);
}

void* vfsDlOpen(sqlite3_vfs* /*vfs*/, const char* name)
{
    return gBase->xDlOpen(gBase, name);
}

void vfsDlError(sqlite3_vfs* /*vfs*/, int size, char* out)
{
    gBase->xDlError(gBase, size, out);
}

void (*vfsDlSym(sqlite3_vfs* /*vfs*/, void* handle, const char* symbol))(void)
{
    return gBase->xDlSym(gBase, handle, symbol);
}

void vfsDlClose(sqlite3_vfs* /*vfs*/, void* handle)
{
    gBase->xDlClose(gBase, handle);
}

int vfsRandomness(sqlite3_vfs* /*vfs*/, int size, char* out)
{
    return gBase->xRandomness(gBase, size, out);
}

int vfsSleep(sqlite3_vfs* /*vfs*/, int micros)
{
    return gBase->xSleep(gBase, micros);
}

int vfsCurrentTime(sqlite3_vfs* /*vfs*/, double* out)
{
    return gBase->xCurrentTime(gBase, out);
}

int vfsGetLastError(sqlite3_vfs* /*vfs*/, int size, char* out)
{
    return gBase->xGetLastError != nullptr ? gBase->xGetLastError(gBase, size, out) : 0;
}

int vfsCurrentTimeInt64(sqlite3_vfs* /*vfs*/, sqlite3_int64* out)
{
    if (gBase->iVersion >= 2 && gBase->xCurrentTimeInt64 != nullptr) {
        return gBase->xCurrentTimeInt64(gBase, out);
    }
    double now = 0;
    const int rc = gBase->xCurrentTime(gBase, &now);
    *out = static_cast<sqlite3_int64>(now * 86400000.0);
    return rc;
}

// ---- Helpers for openEncrypted / encryptPlainDatabase ----

std::string errorOf(sqlite3* db)
{
    return db != nullptr ? sqlite3_errmsg(db) : "out of memory";
}

bool exec(sqlite3* db, const char* sql, std::string* error = nullptr)
{
    char* message = nullptr;
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &message);
    if (rc != SQLITE_OK && error != nullptr) {
        *error = std::string(sql) + ": " + (message != nullptr ? message : sqlite3_errstr(rc));
    }
    sqlite3_free(message);
    return rc == SQLITE_OK;
}

// The first column of the first row as text, or nullopt when the statement fails.
std::optional<std::string> firstText(sqlite3* db, const char* sql)
{
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &statement, nullptr) != SQLITE_OK) {
        return std::nullopt;
    }
    std::optional<std::string> out;
    const int rc = sqlite3_step(statement);
    if (rc == SQLITE_ROW) {
        const auto* text = sqlite3_column_text(statement, 0);
        out = text != nullptr ? reinterpret_cast<const char*>(text) : "";
    } else if (rc == SQLITE_DONE) {
        out = "";
    }
    sqlite3_finalize(statement);
    return out;
}

// Closes a connection that must not checkpoint (and so never deletes a WAL it could not read).
void closeWithoutCheckpoint(sqlite3* db)
{
    if (db != nullptr) {
        sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, static_cast<int*>(nullptr));
        sqlite3_close_v2(db);
    }
}

bool syncFile(const std::string& path, bool directory)
{
#ifdef _WIN32
    if (directory) {
        return true; // NTFS journals the rename itself
    }
    const int fd = _open(path.c_str(), _O_RDWR | _O_BINARY);
    if (fd < 0) {
        return false;
    }
    const bool ok = _commit(fd) == 0;
    _close(fd);
    return ok;
#else
    const int fd =
        ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
    if (fd < 0) {
        return false;
    }
    const bool ok = ::fsync(fd) == 0;
    ::close(fd);
    return ok;
#endif
}

// Removes path when it is a regular file (never a directory someone else put there).
void removeFile(const std::string& path)
{
    std::error_code ec;
    if (std::filesystem::is_regular_file(path, ec)) {
        std::filesystem::remove(path, ec);
    }
}

void removeWithCompanions(const std::string& path)
{
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
        removeFile(path + suffix);
    }
}

// A "file:" URI naming path (absolute) and our VFS, for VACUUM INTO.
std::string cryptUri(const std::string& absolutePath)
{
    constexpr std::string_view kHex = "0123456789ABCDEF";
    std::string uri = absolutePath.starts_with('/') ? "file://" : "file:///";
    for (const char c : absolutePath) {
        const auto u = static_cast<unsigned char>(c);
        if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') ||
            c == '/' || c == '-' || c == '.' || c == '_' || c == '~') {
            uri += c;
        } else {
            uri += '%';
            uri += kHex[u >> 4];
            uri += kHex[u & 0x0f];
        }
    }
    return uri + "?vfs=" + kCryptVfsName;
}

} // namespace

void registerCryptVfs()
{
    static std::once_flag once;
    std::call_once(once, [] {
        if (sqlite3_initialize() != SQLITE_OK) {
            throw std::runtime_error("SQLite cannot be initialised");
        }
        gBase = sqlite3_vfs_find(nullptr);
        if (gBase == nullptr) {
            throw std::runtime_error("SQLite has no default VFS");
        }
        gMethods.iVersion = 2; // xShm*, but no xFetch/xUnfetch: never memory-mapped
        gMethods.xClose = cryptClose;
        gMethods.xRead = cryptRead;
        gMethods.xWrite = cryptWrite;
        gMethods.xTruncate = cryptTruncate;
        gMethods.xSync = cryptSync;
        gMethods.xFileSize = cryptFileSize;
        gMethods.xLock = cryptLock;
        gMethods.xUnlock = cryptUnlock;
        gMethods.xCheckReservedLock = cryptCheckReservedLock;
        gMethods.xFileControl = cryptFileControl;
        gMethods.xSectorSize = cryptSectorSize;
        gMethods.xDeviceCharacteristics = cryptDeviceCharacteristics;
        gMethods.xShmMap = cryptShmMap;
        gMethods.xShmLock = cryptShmLock;
        gMethods.xShmBarrier = cryptShmBarrier;
        gMethods.xShmUnmap = cryptShmUnmap;

        gVfs.iVersion = 2;
        gVfs.szOsFile = kRealOffset + gBase->szOsFile;
        gVfs.mxPathname = gBase->mxPathname;
        gVfs.zName = kCryptVfsName;
        gVfs.xOpen = cryptOpen;
        gVfs.xDelete = vfsDelete;
        gVfs.xAccess = vfsAccess;
        gVfs.xFullPathname = vfsFullPathname;
        gVfs.xDlOpen = vfsDlOpen;
        gVfs.xDlError = vfsDlError;
        gVfs.xDlSym = vfsDlSym;
        gVfs.xDlClose = vfsDlClose;
        gVfs.xRandomness = vfsRandomness;
        gVfs.xSleep = vfsSleep;
        gVfs.xCurrentTime = vfsCurrentTime;
        gVfs.xGetLastError = vfsGetLastError;
        gVfs.xCurrentTimeInt64 = vfsCurrentTimeInt64;
        if (sqlite3_vfs_register(&gVfs, 0) != SQLITE_OK) {
            throw std::runtime_error("cannot register the cc-crypt VFS");
        }
    });
}

void bindCryptKey(const std::string& path, const CacheKey& key)
{
    registerCryptVfs();
    auto previous = exchangeBinding(path, &key);
    wipe(previous);
}

void unbindCryptKey(const std::string& path)
{
    registerCryptVfs();
    auto previous = exchangeBinding(path, nullptr);
    wipe(previous);
}

CryptOpenResult openEncrypted(const std::string& path, const CacheKey& key, int extraFlags)
{
    registerCryptVfs();
    if (isPlainDatabase(path)) {
        return {nullptr, "the cache is not encrypted yet (encryptPlainDatabase converts it)"};
    }
    auto previous = exchangeBinding(path, &key);
    sqlite3* db = nullptr;
    const auto fail = [&](const std::string& message) {
        closeWithoutCheckpoint(db);
        auto replaced = exchangeBinding(path, previous ? &*previous : nullptr);
        wipe(replaced);
        wipe(previous);
        return CryptOpenResult{nullptr, message};
    };

    const int opened = sqlite3_open_v2(
        path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | extraFlags, kCryptVfsName);
    if (opened == SQLITE_NOTADB) { // page 1 did not authenticate (SQLite reads it on open)
        return fail(kCryptWrongKeyError);
    }
    if (opened != SQLITE_OK) {
        return fail("cannot open the cache: " + errorOf(db));
    }
    sqlite3_extended_result_codes(db, 1);
    // Other connections may hold locks meanwhile (one rebuilding the WAL index, say): the
    // statements below wait for them like any reader. The handle returned has no busy handler,
    // as after sqlite3_open_v2.
    sqlite3_busy_timeout(db, kOpenBusyMs);
    sqlite3_file* file = nullptr;
    sqlite3_int64 size = -1;
    if (sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK ||
        file == nullptr || file->pMethods != &gMethods ||
        file->pMethods->xFileSize(file, &size) != SQLITE_OK) {
        return fail("cannot open the cache: not opened through the encrypting VFS");
    }
    // SQLite deletes a WAL found beside an empty database file, so empty means new.
    const bool fresh = size == 0;

    std::string error;
    if (fresh) {
        // Before anything is written: our page layout.
        int reserve = kReserve;
        if (!exec(db, "PRAGMA page_size = 4096", &error) ||
            sqlite3_file_control(db, "main", SQLITE_FCNTL_RESERVE_BYTES, &reserve) != SQLITE_OK) {
            return fail("cannot set up the cache: " + (error.empty() ? errorOf(db) : error));
        }
    }
    if (!exec(db, "PRAGMA temp_store = MEMORY", &error) ||
        !exec(db, "PRAGMA mmap_size = 0", &error) ||
        !exec(db, "PRAGMA secure_delete = ON", &error)) {
        return fail("cannot set up the cache: " + error);
    }
    if (fresh) {
        // WAL before the first page exists: the rollback journal never holds a page.
        const auto mode = firstText(db, "PRAGMA journal_mode = WAL");
        if (!mode || *mode != "wal") {
            return fail("cannot switch the cache to WAL: " + errorOf(db));
        }
    }
    if (!firstText(db, "SELECT count(*) FROM sqlite_schema")) {
        AuthState auth{};
        const int code = sqlite3_extended_errcode(db);
        if (code == SQLITE_NOTADB ||
            (sqlite3_file_control(db, "main", kFcntlAuthState, &auth) == SQLITE_OK &&
             auth.firstPageFailed)) {
            return fail(kCryptWrongKeyError);
        }
        return fail("cannot read the cache: " + errorOf(db) + " (" + std::to_string(code) + ")");
    }
    sqlite3_busy_timeout(db, 0);
    wipe(previous);
    return {db, {}};
}

bool isPlainDatabase(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    std::array<char, kPlainMagic.size()> header{};
    if (!in || !in.read(header.data(), header.size())) {
        return false;
    }
    return std::string_view(header.data(), header.size()) == kPlainMagic;
}

std::string encryptPlainDatabase(const std::string& path, const CacheKey& key)
{
    registerCryptVfs();
    if (!isPlainDatabase(path)) {
        return "not a plain SQLite database: " + path;
    }
    const std::string target = path + ".encrypting";
    {
        std::error_code ec;
        const auto status = std::filesystem::symlink_status(target, ec);
        if (std::filesystem::exists(status) && !std::filesystem::is_regular_file(status)) {
            return "cannot encrypt the cache: " + target + " exists and is not a file";
        }
    }
    removeWithCompanions(target); // left over from an interrupted run
    const std::string targetName = fullPath(target);
    bindCryptKey(target, key);

    sqlite3* source = nullptr;
    sqlite3* copy = nullptr;
    const auto fail = [&](const std::string& message) {
        if (source != nullptr) {
            closeWithoutCheckpoint(source);
        }
        if (copy != nullptr) {
            closeWithoutCheckpoint(copy);
        }
        removeWithCompanions(target);
        unbindCryptKey(target);
        return "cannot encrypt the cache: " + message;
    };

    // 1. A consistent copy through the VFS. Read-only: the original and its WAL stay as they are.
    if (sqlite3_open_v2(path.c_str(), &source, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr) !=
        SQLITE_OK) {
        return fail(errorOf(source));
    }
    sqlite3_db_config(source, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, static_cast<int*>(nullptr));
    std::string error;
    if (!exec(source, "PRAGMA temp_store = MEMORY", &error) ||
        !firstText(source, "SELECT count(*) FROM sqlite_schema")) {
        return fail(error.empty() ? errorOf(source) : error);
    }
    // VACUUM INTO takes the page size to use from page_size and the reserve from the source's
    // requested reserve (page_size first: setting it resets the requested reserve). Neither
    // changes the source file.
    int reserve = kReserve;
    if (!exec(source, "PRAGMA page_size = 4096", &error) ||
        sqlite3_file_control(source, "main", SQLITE_FCNTL_RESERVE_BYTES, &reserve) != SQLITE_OK) {
        return fail(error.empty() ? errorOf(source) : error);
    }
    char* vacuum = sqlite3_mprintf("VACUUM INTO %Q", cryptUri(targetName).c_str());
    const bool copied = vacuum != nullptr && exec(source, vacuum, &error);
    sqlite3_free(vacuum);
    if (!copied) {
        return fail(error.empty() ? "out of memory" : error);
    }
    sqlite3_close_v2(source);
    source = nullptr;

    // 2. The copy in WAL mode, checked. Journal OFF for the switch: the copy is not live yet.
    auto opened = openEncrypted(target, key);
    copy = opened.db;
    if (copy == nullptr) {
        return fail(opened.error);
    }
    const auto pageSize = firstText(copy, "PRAGMA page_size");
    if (!pageSize || *pageSize != "4096") {
        return fail("the copy has page size " + pageSize.value_or("?"));
    }
    const auto off = firstText(copy, "PRAGMA journal_mode = OFF");
    const auto wal = firstText(copy, "PRAGMA journal_mode = WAL");
    if (!off || !wal || *wal != "wal") {
        return fail("cannot switch the copy to WAL: " + errorOf(copy));
    }
    const auto check = firstText(copy, "PRAGMA quick_check");
    if (!check || *check != "ok") {
        return fail("the copy does not check: " + check.value_or(errorOf(copy)));
    }
    if (sqlite3_close_v2(copy) != SQLITE_OK) {
        copy = nullptr;
        return fail("cannot close the copy");
    }
    copy = nullptr;

    // 3. Durable, then in place of the original; then the original's WAL and index go.
    if (!syncFile(target, false)) {
        return fail("cannot sync " + target);
    }
    std::error_code ec;
    std::filesystem::rename(target, path, ec);
    if (ec) {
        return fail("cannot replace " + path + ": " + ec.message());
    }
    unbindCryptKey(target);
    std::string leftover;
    for (const char* suffix : {"-wal", "-shm"}) {
        std::filesystem::remove(path + suffix, ec);
        if (ec) {
            leftover += (leftover.empty() ? "" : ", ") + path + suffix + ": " + ec.message();
        }
    }
    const auto parent = std::filesystem::path(path).parent_path();
    syncFile(parent.empty() ? std::string(".") : parent.string(), true);
    if (!leftover.empty()) {
        return "the cache is encrypted, but the old plain files remain: " + leftover;
    }
    return {};
}

CacheKey randomCacheKey()
{
    CacheKey key{};
    if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) {
        throw std::runtime_error("the random number generator failed");
    }
    return key;
}

} // namespace cc::app::cache
