#pragma once

#include "shared/protocol/messages.h"
#include "shared/util/result.h"

#include <string>
#include <string_view>

// JSON codec for protocol envelopes:
//   {"v":1,"type":"hello","id":"c-1","body":{...}}
// decode() validates everything it reads (types, required fields, lengths) and never throws;
// unknown fields are ignored so a newer peer can add them without breaking an older one.
namespace cc::protocol {

struct DecodeError {
    ErrorCode code = ErrorCode::MalformedMessage;
    std::string message;        // for a person: what was wrong and where
    std::string id;             // the envelope id, when it could be read, to correlate the answer
    std::optional<int> version; // the "v" the peer wrote, when it could be read
};

std::string encode(const Envelope& envelope);
Result<Envelope, DecodeError> decode(std::string_view text);

// Builds an error envelope answering `inReplyTo` (may be empty).
Envelope makeError(ErrorCode code, std::string message, std::string inReplyTo = {});

} // namespace cc::protocol
