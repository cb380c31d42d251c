#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

// The messages app and server exchange over the WebSocket, as plain structs. The wire format
// (JSON envelopes) lives in envelope.h; docs/protocol.md describes it for people.
namespace cc::protocol {

// Protocol versions this build speaks. A peer advertises its range in `hello`; the server
// answers with the highest version both sides know, or `unsupported_version`.
inline constexpr int kMinProtocolVersion = 1;
inline constexpr int kMaxProtocolVersion = 1;

// Bounds on what a peer may send us (validated on decode).
inline constexpr std::size_t kMaxIdLength = 64;
inline constexpr std::size_t kMaxNameLength = 128;
inline constexpr std::size_t kMaxMessageLength = 1024;
inline constexpr std::size_t kMaxTokenLength = 4096;

// WebSocket close codes (RFC 6455 section 7.4 plus the private 4000-4999 range).
inline constexpr std::uint16_t kCloseNormal = 1000;
inline constexpr std::uint16_t kCloseGoingAway = 1001;     // server shutting down
inline constexpr std::uint16_t kCloseMalformed = 1007;     // not JSON / not our envelope
inline constexpr std::uint16_t kClosePolicy = 1008;        // protocol rules broken
inline constexpr std::uint16_t kCloseTooBig = 1009;        // frame over the size limit
inline constexpr std::uint16_t kCloseTryAgainLater = 1013; // overloaded or not ready
inline constexpr std::uint16_t kCloseUnsupportedVersion = 4001;
inline constexpr std::uint16_t kCloseUnauthenticated = 4003; // no, bad, expired or revoked token

enum class ErrorCode {
    MalformedMessage,   // not JSON, or JSON that is not a valid envelope
    UnsupportedVersion, // no protocol version in common
    UnknownType,        // a message type this version does not know
    ProtocolViolation,  // e.g. anything before hello, or a second hello
    MessageTooLarge,
    NotReady,        // the server cannot serve yet (database down, migrating)
    Unauthenticated, // the access token is missing, invalid, expired or its session revoked
    Internal,
};

std::string_view toString(ErrorCode code);
std::optional<ErrorCode> errorCodeFromString(std::string_view name);

struct VersionRange {
    int min = kMinProtocolVersion;
    int max = kMaxProtocolVersion;
    friend bool operator==(const VersionRange&, const VersionRange&) = default;
};

// The highest version both ranges contain, if any.
std::optional<int> negotiate(VersionRange ours, VersionRange theirs);

// client -> server, first message on every connection.
struct Hello {
    VersionRange protocol;
    std::string client;        // product name, e.g. "callcommander"
    std::string clientVersion; // e.g. "0.1.0"
    std::string deviceId;      // stable per installation
    std::string token;         // access token from POST /v1/auth/login or /v1/auth/refresh
    friend bool operator==(const Hello&, const Hello&) = default;
};

// client -> server: a fresh access token for the same sign-in, before the current one expires,
// so a long-lived connection stays open.
struct Reauth {
    std::string token;
    friend bool operator==(const Reauth&, const Reauth&) = default;
};

// server -> client, the answer to a hello that was accepted.
struct Welcome {
    int protocol = kMaxProtocolVersion; // the version both sides now speak
    std::string server;                 // "callcommander-server"
    std::string serverVersion;
    std::string node;              // which server node answered (several run behind a LB)
    std::int64_t serverTimeMs = 0; // Unix epoch milliseconds, for clock-skew display
    std::string userId;            // who the server took the token to be
    std::string role;
    friend bool operator==(const Welcome&, const Welcome&) = default;
};

// either direction: something went wrong. `supported` is set with UnsupportedVersion.
struct Error {
    ErrorCode code = ErrorCode::Internal;
    std::string message;
    std::optional<VersionRange> supported;
    friend bool operator==(const Error&, const Error&) = default;
};

using Body = std::variant<Hello, Welcome, Error, Reauth>;

struct Envelope {
    int version = kMaxProtocolVersion; // "v": the protocol version this message is written in
    std::string id;                    // correlation id chosen by the sender; may be empty
    Body body;
    friend bool operator==(const Envelope&, const Envelope&) = default;
};

// The wire name of a body's type ("hello", "welcome", "error", "reauth").
std::string_view typeName(const Body& body);

} // namespace cc::protocol
