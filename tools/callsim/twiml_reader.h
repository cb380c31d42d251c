#pragma once

#include "shared/util/result.h"

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// Reading the TwiML our server answers with, as Twilio does before it executes a document: a
// strict XML reader for the small subset TwiML uses, then the verbs with Twilio's defaults filled
// in. Strict on purpose: a document Twilio would refuse ("application error") must fail the
// simulated call too, not be read generously.
namespace cc::callsim {

struct XmlElement {
    std::string name;
    std::vector<std::pair<std::string, std::string>> attributes;
    std::string text; // the character data directly inside, entities decoded
    std::vector<XmlElement> children;

    const std::string* attribute(std::string_view attributeName) const;
};

// Limits on one document: a TwiML answer is a few hundred bytes.
inline constexpr std::size_t kMaxDocumentBytes = 1024 * 1024;
inline constexpr int kMaxDepth = 16;
inline constexpr std::size_t kMaxElements = 10000;

// Well-formed XML 1.0 without a DTD: an optional declaration (version 1.0, encoding UTF-8 if
// given), comments, one root element, attributes in single or double quotes (each name once),
// character data and CDATA, the five predefined entities and numeric character references.
// Processing instructions other than the declaration, DOCTYPE, undeclared entities, mismatched
// tags, invalid UTF-8 and text outside the root element are errors.
Result<XmlElement, std::string> parseXml(std::string_view document);

struct DialTarget {
    enum class Kind { Number, Client, Sip };
    Kind kind = Kind::Number;
    std::string value; // E.164 number, client identity or sip: URI
    std::string statusCallback;
    std::vector<std::string>
        statusCallbackEvents; // "initiated", "ringing", "answered", "completed"
};

// One TwiML verb, with Twilio's defaults where the document leaves an attribute out
// (https://www.twilio.com/docs/voice/twiml).
struct Verb {
    enum class Kind { Say, Play, Pause, Gather, Redirect, Dial, Record, Hangup };
    Kind kind = Kind::Hangup;
    std::string text;        // Say: the words; Play, Redirect: the URL
    int loop = 1;            // Say, Play: times played; 0 is "until the call moves on"
    int seconds = 0;         // Pause: length (1); Gather: timeout (5); Dial: timeout (30);
                             // Record: maxLength (3600)
    int numDigits = 0;       // Gather: 0 is "until finishOnKey or the timeout"
    bool dtmf = true;        // Gather: listens for keys (input includes "dtmf")
    bool speech = false;     // Gather: listens for words (input includes "speech")
    std::string action;      // Gather, Dial, Record: empty when not given
    std::string finishOnKey; // Gather ("#"), Record ("1234567890*#")
    std::string recordingStatusCallback; // Record
    std::vector<Verb> prompts;           // Gather: the nested Say, Play and Pause
    std::vector<DialTarget> targets;     // Dial: at least one
};

std::string_view verbName(Verb::Kind kind);

// The verbs of a <Response> document. Refuses what the simulator cannot play faithfully: verbs
// and nouns our server never emits (<Enqueue>, <Conference>, ...), method="GET", numbers that
// are not numbers, a <Dial> with nothing to dial, a <Redirect> without a URL.
Result<std::vector<Verb>, std::string> parseTwiml(std::string_view document);

} // namespace cc::callsim
