#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// Turning what a caller said (a speech recogniser's transcript) or a member of staff typed into
// words the intent detector can match: bounded, valid UTF-8, lower case, apostrophes dropped
// ("don't" is "dont"), typists' shortcuts spelled out ("tmrw", "appt", "sat"), numbers read
// whether said as words or digits.
namespace cc::intent {

// Only this much of an utterance is read: a caller's sentence is well under 300 bytes, and the
// detector's cost must stay bounded whatever arrives. Longer input is cut at a UTF-8 boundary.
inline constexpr std::size_t kMaxUtteranceBytes = 1000;
// At most this many words are kept (1000 bytes of "a a a ..." would be 500).
inline constexpr std::size_t kMaxTokens = 300;

struct Token {
    std::string text; // lower case, apostrophes dropped, shortcuts and common typos fixed
    // Its value as a cardinal number: "7", "seven", "twenty three" (two words merged into one
    // token), "oh" between other numbers ("one oh two"). Digit strings longer than 9 have none.
    std::optional<int> number;
    std::optional<int> ordinal; // "14th", "fourteenth", "thirty first"
    std::string digits;         // the digits as said: "07" for "07", "0" for "oh", "23" for 23
    bool numeric = false;       // written with digits ("7", "14:30", "3/12", "9.5", "#a-12")
    bool clauseStart = false;   // the first word, or the first after , ; . ! ? or a dash
};

// The utterance as words. Never throws; invalid UTF-8 bytes count as spaces.
std::vector<Token> tokenize(std::string_view utterance);

// One word: "zero".."nineteen", "twenty".."ninety" (not "oh", which is only a digit between
// digits). Empty for anything else.
std::optional<int> cardinalWord(std::string_view word);
// One word: "first".."nineteenth", "twentieth", "thirtieth", or "1st".."31st" in digits.
std::optional<int> ordinalWord(std::string_view word);

// A whole phrase read as one number, for tests and slot parsing: "twenty three" -> 23,
// "7" -> 7, "ninety nine" -> 99. Empty unless the phrase is exactly one number.
std::optional<int> parseCardinal(std::string_view phrase);
// "thirty first" -> 31, "3rd" -> 3, "the 14th" -> 14.
std::optional<int> parseOrdinal(std::string_view phrase);

} // namespace cc::intent
