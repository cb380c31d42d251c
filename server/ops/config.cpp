#include "server/ops/config.h"

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <cctype>
#include <charconv>
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>
#include <vector>

extern char** environ; // NOLINT(readability-redundant-declaration): POSIX, not in any header

namespace cc::server::ops {
namespace {

constexpr std::size_t kMaxConfigBytes = 1024 * 1024;
constexpr std::string_view kEnvPrefix = "CALLCOMMANDER_";

std::string trim(std::string_view s)
{
    const auto notSpace = [](unsigned char c) { return std::isspace(c) == 0; };
    auto begin = std::find_if(s.begin(), s.end(), notSpace);
    auto end = std::find_if(s.rbegin(), s.rend(), notSpace).base();
    return begin < end ? std::string(begin, end) : std::string();
}

// A '#' starts a comment at the start of a line or after whitespace, never inside double
// quotes: "password=a#b" stays whole.
std::string stripComment(const std::string& line)
{
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (c == '"') {
            quoted = !quoted;
        } else if (c == '#' && !quoted &&
                   (i == 0 || std::isspace(static_cast<unsigned char>(line[i - 1])) != 0)) {
            return line.substr(0, i);
        }
    }
    return line;
}

std::optional<std::uint64_t> parseUnsigned(const std::string& s)
{
    std::uint64_t v = 0;
    const auto* end = s.data() + s.size();
    auto [ptr, ec] = std::from_chars(s.data(), end, v);
    if (ec != std::errc() || ptr != end || s.empty()) {
        return std::nullopt;
    }
    return v;
}

// An IPv4 or IPv6 address as inet_ntop writes it (so "::ffff:10.0.0.1" and "10.0.0.1" differ,
// as they do on a socket), or nothing.
std::optional<std::string> canonicalAddress(const std::string& text)
{
    std::array<unsigned char, 16> bytes{};
    std::array<char, INET6_ADDRSTRLEN> out{};
    if (inet_pton(AF_INET, text.c_str(), bytes.data()) == 1) {
        return std::string(inet_ntop(AF_INET, bytes.data(), out.data(), out.size()));
    }
    if (inet_pton(AF_INET6, text.c_str(), bytes.data()) == 1) {
        return std::string(inet_ntop(AF_INET6, bytes.data(), out.data(), out.size()));
    }
    return std::nullopt;
}

// One settable key: its name, what it expects (for error messages) and how to apply a value.
// `explain`, where given, says what is wrong with a refused value without repeating it.
struct Key {
    std::string_view name;
    std::string_view expects;
    std::function<bool(Config&, const std::string&)> apply;
    std::function<std::string(const std::string&)> explain = {};
};

template <typename T>
std::function<bool(Config&, const std::string&)> number(T Config::*field, std::uint64_t min,
                                                        std::uint64_t max)
{
    return [=](Config& c, const std::string& v) {
        auto n = parseUnsigned(v);
        if (!n || *n < min || *n > max) {
            return false;
        }
        c.*field = static_cast<T>(*n);
        return true;
    };
}

std::function<bool(Config&, const std::string&)> seconds(std::chrono::seconds Config::*field,
                                                         std::uint64_t min, std::uint64_t max)
{
    return [=](Config& c, const std::string& v) {
        auto n = parseUnsigned(v);
        if (!n || *n < min || *n > max) {
            return false;
        }
        c.*field = std::chrono::seconds(static_cast<std::int64_t>(*n));
        return true;
    };
}

std::function<bool(Config&, const std::string&)> text(std::string Config::*field)
{
    return [=](Config& c, const std::string& v) {
        c.*field = v;
        return true;
    };
}

std::function<bool(Config&, const std::string&)> boolean(bool Config::*field)
{
    return [=](Config& c, const std::string& v) {
        if (v != "true" && v != "false") {
            return false;
        }
        c.*field = v == "true";
        return true;
    };
}

const std::vector<Key>& keys()
{
    static const std::vector<Key> all = {
        {"listen.address", "an IP address", text(&Config::listenAddress)},
        {"listen.port", "a port number 0-65535",
         number<std::uint16_t>(&Config::listenPort, 0, 65535)},
        {"tls.cert", "a PEM certificate chain file", text(&Config::tlsCertFile)},
        {"tls.key", "a PEM private key file", text(&Config::tlsKeyFile)},
        {"db.conninfo", "a libpq connection string", text(&Config::dbConninfo)},
        {"db.pool_size", "a number 1-64", number<std::size_t>(&Config::dbPoolSize, 1, 64)},
        {"db.max_queue", "a number 1-1000000",
         number<std::size_t>(&Config::dbMaxQueue, 1, 1'000'000)},
        {"server.io_threads", "a number 1-64", number<std::size_t>(&Config::ioThreads, 1, 64)},
        {"server.max_connections", "a number 1-1000000",
         number<std::size_t>(&Config::maxConnections, 1, 1'000'000)},
        {"server.node", "a name", text(&Config::nodeName)},
        {"ws.max_message_bytes", "a number of bytes 1024-16777216",
         number<std::size_t>(&Config::wsMaxMessageBytes, 1024, 16 * 1024 * 1024)},
        {"ws.max_queue_bytes", "a number of bytes 65536-1073741824",
         number<std::size_t>(&Config::wsMaxQueueBytes, 65536, 1024 * 1024 * 1024)},
        {"http.max_body_bytes", "a number of bytes 1024-16777216",
         number<std::size_t>(&Config::httpMaxBodyBytes, 1024, 16 * 1024 * 1024)},
        {"timeouts.handshake_seconds", "seconds 1-300", seconds(&Config::handshakeTimeout, 1, 300)},
        {"timeouts.idle_seconds", "seconds 1-3600", seconds(&Config::idleTimeout, 1, 3600)},
        {"shutdown.grace_seconds", "seconds 0-300", seconds(&Config::shutdownGrace, 0, 300)},
        {"auth.token_keys", "kid:secret pairs, secrets base64url of at least 32 bytes",
         [](Config& c, const std::string& v) {
             auto keys = auth::parseSigningKeys(v);
             if (!keys) {
                 return false;
             }
             c.tokenKeys = std::move(keys).value();
             return true;
         }},
        {"secrets.keys", "kid:key pairs, keys base64url of exactly 32 bytes",
         [](Config& c, const std::string& v) {
             auto keys = crypto::parseSecretKeys(v);
             if (!keys) {
                 return false;
             }
             c.secretKeys = std::move(keys).value();
             return true;
         },
         [](const std::string& v) {
             // parseSecretKeys names a key by its kid or position, never by its bytes.
             auto keys = crypto::parseSecretKeys(v);
             return keys ? std::string() : keys.error();
         }},
        {"integrations.workers", "a number 1-64",
         number<std::size_t>(&Config::integrationWorkers, 1, 64)},
        {"integrations.ca_file", "a PEM file of CA certificates",
         text(&Config::integrationsCaFile)},
        {"integrations.allow_private_addresses", "true or false",
         boolean(&Config::integrationsAllowPrivate)},
        {"telephony.public_url", "an https:// URL without a path, e.g. https://calls.example.com",
         [](Config& c, const std::string& v) {
             const bool https = v.starts_with("https://") && v.size() > 8 && v.size() <= 200;
             const auto rest = https ? std::string_view(v).substr(8) : std::string_view();
             if (!https || rest.find_first_of("/?#@ \t") != std::string_view::npos) {
                 return false;
             }
             c.telephonyPublicUrl = v;
             return true;
         }},
        {"auth.access_token_seconds", "seconds 60-3600",
         seconds(&Config::accessTokenLifetime, 60, 3600)},
        {"auth.refresh_token_days", "days 1-365",
         [](Config& c, const std::string& v) {
             auto n = parseUnsigned(v);
             if (!n || *n < 1 || *n > 365) {
                 return false;
             }
             c.refreshTokenLifetime = std::chrono::hours(24 * static_cast<std::int64_t>(*n));
             return true;
         }},
        {"metrics.token", "a token of 32-256 characters without spaces",
         [](Config& c, const std::string& v) {
             const bool ok =
                 v.size() >= 32 && v.size() <= 256 &&
                 std::all_of(v.begin(), v.end(), [](char ch) { return ch > 0x20 && ch < 0x7f; });
             if (ok) {
                 c.metricsToken = v;
             }
             return ok;
         }},
        {"net.trusted_proxies", "IP addresses separated by commas",
         [](Config& c, const std::string& v) {
             std::vector<std::string> addresses;
             std::size_t start = 0;
             while (start <= v.size()) {
                 const auto end = std::min(v.find(',', start), v.size());
                 const std::string one = trim(v.substr(start, end - start));
                 start = end + 1;
                 if (one.empty()) {
                     continue;
                 }
                 auto canonical = canonicalAddress(one);
                 if (!canonical) {
                     return false;
                 }
                 addresses.push_back(std::move(*canonical));
             }
             c.trustedProxies = std::move(addresses);
             return true;
         }},
        {"log.level", "debug, info, warn or error",
         [](Config& c, const std::string& v) {
             static const std::map<std::string, LogLevel, std::less<>> levels{
                 {"debug", LogLevel::Debug},
                 {"info", LogLevel::Info},
                 {"warn", LogLevel::Warn},
                 {"error", LogLevel::Error}};
             auto it = levels.find(v);
             if (it == levels.end()) {
                 return false;
             }
             c.logLevel = it->second;
             return true;
         }},
        {"log.format", "text or json",
         [](Config& c, const std::string& v) {
             if (v == "text" || v == "json") {
                 c.logFormat = v == "json" ? LogFormat::Json : LogFormat::Text;
                 return true;
             }
             return false;
         }},
    };
    return all;
}

std::string envName(std::string_view key)
{
    std::string out(kEnvPrefix);
    for (char c : key) {
        out.push_back(c == '.' || c == '-'
                          ? '_'
                          : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    }
    return out;
}

const Key* findKey(std::string_view name)
{
    for (const auto& k : keys()) {
        if (k.name == name) {
            return &k;
        }
    }
    return nullptr;
}

std::optional<ConfigError> apply(Config& config, const Key& key, const std::string& value,
                                 const std::string& where)
{
    if (!key.apply(config, value)) {
        // The value itself is left out on purpose: it may be a secret (db.conninfo).
        std::string message = where + ": invalid value for " + std::string(key.name) +
                              " (expected " + std::string(key.expects) + ")";
        if (key.explain) {
            message += ": " + key.explain(value);
        }
        return ConfigError{std::move(message)};
    }
    return std::nullopt;
}

std::optional<ConfigError> validate(const Config& c)
{
    if (c.tlsCertFile.empty() || c.tlsKeyFile.empty()) {
        return ConfigError{"tls.cert and tls.key are required: this server only speaks TLS"};
    }
    if (c.dbConninfo.empty()) {
        return ConfigError{"db.conninfo is required (a libpq connection string)"};
    }
    if (c.tokenKeys.empty()) {
        return ConfigError{"auth.token_keys is required: at least one kid:secret signing key "
                           "(a secret: openssl rand 32 | basenc --base64url)"};
    }
    if (c.secretKeys.empty()) {
        return ConfigError{"secrets.keys is required: at least one kid:key pair that seals "
                           "integration secrets at rest (the key 32 random bytes: openssl rand 32 "
                           "| basenc --base64url)"};
    }
    return std::nullopt;
}

} // namespace

Environment processEnvironment()
{
    Environment env;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        std::string_view entry(*e);
        if (!entry.starts_with(kEnvPrefix)) {
            continue;
        }
        auto eq = entry.find('=');
        if (eq != std::string_view::npos) {
            env.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
        }
    }
    return env;
}

Result<Config, ConfigError> parseConfig(const std::string& text, const std::string& origin,
                                        const Environment& env)
{
    Config config;
    std::istringstream in(text);
    std::string line;
    std::size_t lineNo = 0;
    while (std::getline(in, line)) {
        ++lineNo;
        const std::string where = origin + ":" + std::to_string(lineNo);
        const std::string content = trim(stripComment(line));
        if (content.empty()) {
            continue;
        }
        const auto eq = content.find('=');
        if (eq == std::string::npos) {
            return ConfigError{where + ": expected \"key = value\""};
        }
        const std::string name = trim(std::string_view(content).substr(0, eq));
        std::string value = trim(std::string_view(content).substr(eq + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
            value = value.substr(1, value.size() - 2);
        }
        const Key* key = findKey(name);
        if (key == nullptr) {
            return ConfigError{where + ": unknown key \"" + name + "\""};
        }
        if (auto err = apply(config, *key, value, where)) {
            return *err;
        }
    }
    for (const auto& key : keys()) {
        const std::string var = envName(key.name);
        if (auto it = env.find(var); it != env.end()) {
            if (auto err = apply(config, key, it->second, "environment " + var)) {
                return *err;
            }
        }
    }
    for (const auto& [var, value] : env) {
        const bool known = std::any_of(keys().begin(), keys().end(),
                                       [&](const Key& k) { return envName(k.name) == var; });
        if (!known) {
            config.warnings.push_back("environment " + var +
                                      " is not a server setting and was ignored");
        }
    }
    if (auto err = validate(config)) {
        return *err;
    }
    return config;
}

Result<Config, ConfigError> loadConfig(const std::optional<std::string>& path,
                                       const Environment& env)
{
    std::string text;
    std::string origin = "(no config file)";
    if (path) {
        origin = *path;
        std::ifstream file(*path, std::ios::binary);
        if (!file) {
            return ConfigError{*path + ": cannot open config file"};
        }
        std::ostringstream buffer;
        buffer << file.rdbuf();
        text = buffer.str();
        if (text.size() > kMaxConfigBytes) {
            return ConfigError{*path + ": config file is larger than 1 MiB"};
        }
    }
    return parseConfig(text, origin, env);
}

std::string redactConninfo(const std::string& conninfo)
{
    // key=value form (password=secret or password='se cret') and URI form (user:secret@host).
    static const std::regex keyValue(R"((password\s*=\s*)('([^'\\]|\\.)*'|\S+))",
                                     std::regex::icase);
    static const std::regex uri(R"((postgres(ql)?://[^:/@\s]*:)[^@\s]*@)", std::regex::icase);
    std::string out = std::regex_replace(conninfo, keyValue, "$1***");
    return std::regex_replace(out, uri, "$1***@");
}

} // namespace cc::server::ops
