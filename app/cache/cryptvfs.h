#pragma once

#include <array>
#include <cstddef>
#include <string>

struct sqlite3;

// Encryption at rest for the device's offline cache: a SQLite VFS shim ("cc-crypt") over the
// platform's default VFS that keeps every page image on disk sealed with AES-256-GCM.
//
// On disk
// - Main database: each 4096-byte page i at offset i*4096 holds bytes [0, 4064) encrypted in place
//   and, in SQLite's reserved area (32 bytes per page, which SQLite never interprets), a random
//   12-byte nonce, the 16-byte tag and 4 zero bytes. AAD = page index (8 bytes, big-endian) + file
//   kind (1 byte), so pages cannot be swapped. A fresh random nonce on every write. SQLite always
//   sees zeros in the reserved area (so the WAL checksums it computes over what it writes match
//   what it reads back); writes whose reserved area is not zero, writes of partial or unaligned
//   pages, and a page 1 whose header does not say "page size 4096, >= 32 reserved bytes" fail
//   with SQLITE_IOERR_WRITE (fail closed). An all-zero page (sparse, never written) reads as
//   zeros; past the end reads behave like the base VFS. A page that fails authentication is read
//   again twice (SQLite reads the header without a lock, which can meet a checkpoint rewriting
//   page 1), then fails: SQLITE_IOERR_READ, or SQLITE_NOTADB for page 1, which is what
//   sqlite3_open_v2 reports for a wrong key (it reads the header while opening).
// - WAL: the 32-byte header and each 24-byte frame header stay plain (page numbers, salts and
//   checksums, which SQLite computes over the plaintext we hand back); each frame's page image is
//   sealed as above with AAD = frame offset (8 bytes) + the frame header's page number (4 bytes) +
//   file kind. Deviation from the first design: the page number is in the AAD too. WAL checksums
//   are unkeyed and, being sums, can be patched for a changed page number without knowing the
//   plaintext; with it in the AAD a frame cannot be relabelled as another page.
//   WAL recovery reads whole frames: when a frame fails authentication there while the key is
//   proven right (page 1 of the database file, or an earlier page, authenticated), the frame is
//   handed back with a salt that cannot match, so SQLite treats it exactly like a torn frame and
//   stops there (a crash mid-append stays recoverable; a stale WAL is ignored). When the key is
//   not proven, the read fails (SQLITE_IOERR_READ), so a wrong key never rebuilds the WAL index,
//   checkpoints, or deletes or truncates the WAL (such a connection also answers
//   SQLITE_FCNTL_PERSIST_WAL with "keep").
// - Rollback journal: never holds page content. The cache lives in WAL mode from before its first
//   page exists (openEncrypted switches a new file to WAL before anything else; the journal SQLite
//   uses for that switch holds only its header because the database is still empty). Any write
//   to a rollback journal carrying a non-zero byte beyond the 28-byte journal header fields fails
//   with SQLITE_IOERR_WRITE, so a caller switching the cache out of WAL mode fails closed.
// - Temporary files (temp databases, statement journals, sorter spills, super-journals) are
//   refused (SQLITE_CANTOPEN): openEncrypted sets temp_store = MEMORY so SQLite keeps them in
//   memory.
// - io_methods version 2: no xFetch, so SQLite never memory-maps the file past the decryption.
//   SQLITE_IOCAP_BATCH_ATOMIC is cleared. Sizes are plaintext sizes (length preserving).
//
// Keys: the main database file takes its key from the bindings below when SQLite opens it and
// keeps a copy; its WAL and journal take the key of their own connection's database file
// (sqlite3_database_file_object), so they cannot disagree with it and need no binding after the
// open. Each file keeps one EVP_CIPHER_CTX, keyed once. Key copies and buffers that held
// plaintext are wiped (OPENSSL_cleanse) on close and on unbind; keys are never logged.
//
// Limits: per-page confidentiality and integrity, not freshness: someone who can write the files
// can roll the whole cache back to an older copy, truncate the WAL (dropping its last
// transactions) or make the cache unreadable. Random 96-bit nonces are safe far beyond a device
// cache's lifetime of writes (2^32 page writes per key). The WAL layout relies on the default
// VFS's power-safe overwrite (on by default on Linux, macOS and Windows): without it SQLite would
// split frame writes at sector boundaries, which fail closed here.
namespace cc::app::cache {

inline constexpr std::size_t kCacheKeyBytes = 32;
using CacheKey = std::array<unsigned char, kCacheKeyBytes>;
inline constexpr const char* kCryptVfsName = "cc-crypt";
inline constexpr int kCryptPageSize = 4096;
inline constexpr int kCryptReserveBytes =
    32; // per page: 12-byte random nonce + 16-byte GCM tag (+4 spare)
// openEncrypted's error when the key does not open the file (or its first page was altered).
inline constexpr const char* kCryptWrongKeyError = "the cache cannot be unlocked with this key";

// Registers the VFS once (thread-safe, idempotent) on top of sqlite3_vfs_find(nullptr).
void registerCryptVfs();

// Associates a key with a database path (as passed to sqlite3_open_v2; a plain path, not a
// "file:" URI) until unbindCryptKey. The path is normalised like SQLite does (absolute, links
// resolved), so any spelling of the same file finds the key. Binding again replaces the key.
// Opening a database with the VFS and no key bound fails with SQLITE_CANTOPEN.
void bindCryptKey(const std::string& path, const CacheKey& key);
void unbindCryptKey(const std::string& path);

// Opens (creating if missing) an encrypted database with the VFS (flags READWRITE | CREATE |
// extraFlags, e.g. SQLITE_OPEN_NOMUTEX). Binds the key (it stays bound, for further connections,
// until unbindCryptKey; on failure the previous binding is restored). On a new empty file: page
// size 4096 and reserve bytes 32 before anything is written, then journal_mode = WAL. Always:
// temp_store = MEMORY, mmap_size = 0, secure_delete = ON; then the key is checked by reading the
// schema (waiting up to 10 s for other connections' locks; the handle returned has no busy
// handler, as after sqlite3_open_v2). A wrong key gives kCryptWrongKeyError and writes nothing; a
// plain (unencrypted) database gives an error saying so. Returns the open handle, or an error
// message (handle closed).
struct CryptOpenResult {
    sqlite3* db = nullptr;
    std::string error;
};
CryptOpenResult openEncrypted(const std::string& path, const CacheKey& key, int extraFlags = 0);

// True when the file at path exists and starts with the plain "SQLite format 3\0" header (a cache
// written before encryption, or by a test). False for missing, empty and encrypted files.
bool isPlainDatabase(const std::string& path);

// Encrypts a plain database in place without losing a row. Nothing else may have the file open.
// Reads it through a read-only connection (so the original, its WAL included, is never written)
// and VACUUM INTO `path + ".encrypting"` through the VFS (page size 4096, 32 reserve bytes; every
// table, index, FTS shadow table and PRAGMA user_version / application_id), switches the copy to
// WAL (journal_mode OFF then WAL: the copy is not live yet), checks it (quick_check), fsyncs it,
// renames it over the original and removes the old -wal and -shm. On any failure before the
// rename the original stays untouched and the temporary file is removed (a leftover temporary
// file from an interrupted run is replaced). Returns an empty string on success, else the error.
std::string encryptPlainDatabase(const std::string& path, const CacheKey& key);

// A fresh random key (RAND_bytes; throws std::runtime_error if the RNG fails).
CacheKey randomCacheKey();

} // namespace cc::app::cache
