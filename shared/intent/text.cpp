#include "shared/intent/text.h"

#include "shared/util/utf8.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <iterator>
#include <utility>

namespace cc::intent {
namespace {

// Markers for the first pass, resolved once both neighbours are known.
constexpr char kApostrophe = '\x01';
constexpr char kDot = '\x02';
constexpr char kColon = '\x03';
constexpr char kSlash = '\x04';
constexpr char kDash = '\x05';
constexpr char kArrowHead = '\x06';
constexpr char kBreak = '\n'; // a clause break: , ; ! ? and the like

bool isAsciiLetter(char c)
{
    return c >= 'a' && c <= 'z';
}
bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}
bool isWordChar(char c)
{
    // Non-ASCII bytes that survive the first pass belong to letters of other scripts.
    return isAsciiLetter(c) || isDigit(c) || (static_cast<unsigned char>(c) & 0x80U) != 0;
}

// Characters to words and separators. Keeps the connectors that make "14:30", "3/12", "9.5",
// "t-shirt" and "#A-12" one word until the second pass decides.
std::string firstPass(std::string_view input)
{
    std::string out;
    out.reserve(input.size() + 8);
    std::size_t i = 0;
    while (i < input.size()) {
        std::uint32_t cp = 0;
        const std::size_t length = util::decodeUtf8(input, i, cp);
        if (length == 0) {
            out += ' '; // an invalid byte: a separator, never part of a word
            ++i;
            continue;
        }
        if (cp < 0x80) {
            const char c = static_cast<char>(cp);
            if (c >= 'A' && c <= 'Z') {
                out += static_cast<char>(c - 'A' + 'a');
            } else if (isAsciiLetter(c) || isDigit(c)) {
                out += c;
            } else if (c == '\'' || c == '`') {
                out += kApostrophe;
            } else if (c == ',' || c == ';' || c == '!' || c == '?' || c == '(' || c == ')') {
                out += kBreak;
            } else if (c == '.') {
                out += kDot;
            } else if (c == ':') {
                out += kColon;
            } else if (c == '/') {
                out += kSlash;
            } else if (c == '-') {
                out += kDash;
            } else if (c == '>') {
                out += kArrowHead;
            } else if (c == '#') {
                out += '#';
            } else if (c == '&') {
                out += " and ";
            } else if (c == '@') {
                out += " at ";
            } else {
                out += ' ';
            }
        } else if (cp == 0x2018 || cp == 0x2019 || cp == 0x02BC || cp == 0x2032) {
            out += kApostrophe;
        } else if (cp == 0x2013 || cp == 0x2014 || cp == 0x2026 || cp == 0x3002 || cp == 0xFF0C) {
            out += kBreak; // dashes, ellipsis, full-width stop and comma
        } else if ((cp >= 0xA0 && cp <= 0xBF) || cp == 0xD7 || cp == 0xF7 ||
                   (cp >= 0x2000 && cp <= 0x206F) || (cp >= 0x3000 && cp <= 0x303F) ||
                   (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF0F)) {
            out += ' '; // punctuation and symbols
        } else if (cp >= 0xC0 && cp <= 0xDE) {
            // Latin-1 capitals: lower case, so "CAFÉ" and "café" are one word.
            const std::uint32_t lower = cp + 0x20;
            out += static_cast<char>(0xC0U | (lower >> 6U));
            out += static_cast<char>(0x80U | (lower & 0x3FU));
        } else {
            out.append(input.substr(i, length));
        }
        i += length;
    }
    return out;
}

// Abbreviations whose full stop does not end a sentence ("dr. martens").
bool isAbbreviation(std::string_view word)
{
    static constexpr std::string_view kWords[] = {"dr", "mr", "mrs", "ms",
                                                  "st", "no", "vs",  "approx"};
    return std::find(std::begin(kWords), std::end(kWords), word) != std::end(kWords);
}

// Resolves the markers with both neighbours known.
std::string secondPass(const std::string& s)
{
    std::string out;
    out.reserve(s.size() + 8);
    auto prevChar = [&]() -> char { return out.empty() ? ' ' : out.back(); };
    auto nextChar = [&](std::size_t i) -> char { return i + 1 < s.size() ? s[i + 1] : ' '; };
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        switch (c) {
        case kApostrophe:
            // "don't" -> "dont", "kids'" -> "kids", "o'clock" -> "oclock"; a quote mark is a space.
            if (!isWordChar(prevChar())) {
                out += ' ';
            }
            break;
        case kDot: {
            const char prev = prevChar();
            const char next = nextChar(i);
            if (isDigit(prev) && isDigit(next)) {
                out += '.'; // "9.5", "10.30"
            } else if (isAsciiLetter(prev) && isAsciiLetter(next)) {
                // "p.m." -> "pm"
            } else {
                std::size_t start = out.size();
                while (start > 0 && isAsciiLetter(out[start - 1])) {
                    --start;
                }
                const std::string_view word(out.data() + start, out.size() - start);
                out += isAbbreviation(word) ? ' ' : kBreak;
            }
            break;
        }
        case kColon:
            out += isDigit(prevChar()) && isDigit(nextChar(i)) ? ':' : kBreak;
            break;
        case kSlash:
            out += isDigit(prevChar()) && isDigit(nextChar(i)) ? '/' : ' ';
            break;
        case kDash:
            if (nextChar(i) == kArrowHead) {
                out += " to "; // "4pm -> fri 10am"
                ++i;
            } else if (isWordChar(prevChar()) && isWordChar(nextChar(i))) {
                out += '-';
            } else if (prevChar() == ' ' && nextChar(i) == ' ') {
                out += kBreak; // " - " between two clauses
            } else {
                out += ' ';
            }
            break;
        case kArrowHead:
            out += ' ';
            break;
        case '#':
            if (isWordChar(nextChar(i))) {
                out += " #";
            } else {
                out += ' ';
            }
            break;
        default:
            out += c;
        }
    }
    return out;
}

struct Piece {
    std::string text;
    bool breakBefore = false;
};

bool allDigits(std::string_view s)
{
    return !s.empty() && std::all_of(s.begin(), s.end(), isDigit);
}

bool hasDigit(std::string_view s)
{
    return std::any_of(s.begin(), s.end(), isDigit);
}

// Shortcuts, typos and words a speech recogniser splits, to the one spelling the cues use.
std::string_view respell(std::string_view word)
{
    static constexpr std::pair<std::string_view, std::string_view> kWords[] = {
        {"tmrw", "tomorrow"},
        {"tmr", "tomorrow"},
        {"tmrow", "tomorrow"},
        {"tommorow", "tomorrow"},
        {"tommorrow", "tomorrow"},
        {"tomorow", "tomorrow"},
        {"tomoz", "tomorrow"},
        {"2moro", "tomorrow"},
        {"2morrow", "tomorrow"},
        {"2morow", "tomorrow"},
        {"2mrw", "tomorrow"},
        {"tmorrow", "tomorrow"},
        {"2day", "today"},
        {"tdy", "today"},
        {"tonite", "tonight"},
        {"2nite", "tonight"},
        {"appt", "appointment"},
        {"appts", "appointments"},
        {"apt", "appointment"},
        {"apointment", "appointment"},
        {"appointmnet", "appointment"},
        {"appoinment", "appointment"},
        {"appointement", "appointment"},
        {"appoitment", "appointment"},
        {"appontment", "appointment"},
        {"apointments", "appointments"},
        {"cancell", "cancel"},
        {"cancle", "cancel"},
        {"cancal", "cancel"},
        {"cansel", "cancel"},
        {"cancelation", "cancellation"},
        {"canceling", "cancelling"},
        {"canceled", "cancelled"},
        {"reschedual", "reschedule"},
        {"reshedule", "reschedule"},
        {"rescedule", "reschedule"},
        {"reschdule", "reschedule"},
        {"reschedul", "reschedule"},
        {"resched", "reschedule"},
        {"reshcedule", "reschedule"},
        {"mon", "monday"},
        {"tue", "tuesday"},
        {"tues", "tuesday"},
        {"wed", "wednesday"},
        {"weds", "wednesday"},
        {"thu", "thursday"},
        {"thur", "thursday"},
        {"thurs", "thursday"},
        {"fri", "friday"},
        {"sat", "saturday"},
        {"sun", "sunday"},
        {"u", "you"},
        {"ur", "your"},
        {"r", "are"},
        {"pls", "please"},
        {"plz", "please"},
        {"plse", "please"},
        {"thx", "thanks"},
        {"hrs", "hours"},
        {"chk", "check"},
        {"avail", "available"},
        {"xmas", "christmas"},
        {"color", "colour"},
        {"colors", "colours"},
        {"gray", "grey"},
        {"favourite", "favorite"},
        {"im", "i am"},
        {"wanna", "want to"},
        {"gonna", "going to"},
        {"gotta", "got to"},
        {"shoulda", "should have"},
        {"lemme", "let me"},
        {"gimme", "give me"},
        {"cuz", "because"},
        {"cos", "because"},
        {"coz", "because"},
        {"bc", "because"},
        {"ty", "thank you"},
    };
    for (const auto& [from, to] : kWords) {
        if (word == from) {
            return to;
        }
    }
    return word;
}

// Hesitations a recogniser writes down; they carry nothing and would split cue phrases.
bool isHesitation(std::string_view word)
{
    static constexpr std::string_view kWords[] = {"um",  "umm", "uhm", "uh",  "uhh", "er",
                                                  "erm", "ah",  "ahh", "hmm", "mm",  "mmm"};
    return std::find(std::begin(kWords), std::end(kWords), word) != std::end(kWords);
}

// Splits "4pm" into "4" "pm", "3x" into "3" "x", "x4" into "x" "4", "2xl" into "xxl".
void splitWord(std::string_view word, std::vector<std::string>& out)
{
    if (word.empty()) {
        return;
    }
    if (word.front() == '#') {
        out.emplace_back(word);
        return;
    }
    if (word.find('-') != std::string_view::npos && !hasDigit(word)) {
        // "t-shirt", "twenty-three", "x-large", "wi-fi": the parts as words.
        std::size_t start = 0;
        while (start <= word.size()) {
            const std::size_t dash = std::min(word.find('-', start), word.size());
            if (dash > start) {
                splitWord(word.substr(start, dash - start), out);
            }
            start = dash + 1;
        }
        return;
    }
    if (isDigit(word.front())) {
        std::size_t core = 0;
        while (core < word.size() && (isDigit(word[core]) || word[core] == ':' ||
                                      word[core] == '.' || word[core] == '/')) {
            ++core;
        }
        const std::string_view number = word.substr(0, core);
        const std::string_view rest = word.substr(core);
        if (rest.empty()) {
            out.emplace_back(word);
            return;
        }
        const bool plain = allDigits(number);
        if (plain && (rest == "st" || rest == "nd" || rest == "rd" || rest == "th")) {
            out.emplace_back(word); // an ordinal
            return;
        }
        if (rest == "am" || rest == "pm" || rest == "a" || rest == "p" || rest == "x" ||
            rest == "oclock" || rest == "h" || rest == "hrs") {
            out.emplace_back(number);
            out.emplace_back(rest == "a" ? "am" : rest == "p" ? "pm" : rest);
            return;
        }
        if (rest == "ish") {
            out.emplace_back(number);
            return;
        }
        if (plain && rest == "xl") {
            out.emplace_back(number == "2" ? "xxl" : number == "3" ? "xxxl" : "xl");
            return;
        }
        out.emplace_back(word);
        return;
    }
    if (word.size() >= 2 && word.front() == 'x' && allDigits(word.substr(1))) {
        out.emplace_back("x");
        out.emplace_back(word.substr(1));
        return;
    }
    out.emplace_back(word);
}

constexpr std::array<std::string_view, 20> kUnits{
    "zero",     "one",     "two",     "three",     "four",     "five",    "six",
    "seven",    "eight",   "nine",    "ten",       "eleven",   "twelve",  "thirteen",
    "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"};
constexpr std::array<std::string_view, 8> kTens{"twenty", "thirty",  "forty",  "fifty",
                                                "sixty",  "seventy", "eighty", "ninety"};
constexpr std::array<std::string_view, 20> kUnitOrdinals{
    "zeroth",     "first",     "second",    "third",       "fourth",     "fifth",     "sixth",
    "seventh",    "eighth",    "ninth",     "tenth",       "eleventh",   "twelfth",   "thirteenth",
    "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth"};
constexpr std::array<std::string_view, 8> kTensOrdinals{"twentieth", "thirtieth", "fortieth",
                                                        "fiftieth",  "sixtieth",  "seventieth",
                                                        "eightieth", "ninetieth"};

bool isTensWord(std::string_view word)
{
    return std::find(kTens.begin(), kTens.end(), word) != kTens.end();
}

std::optional<int> digitValue(std::string_view digits)
{
    if (!allDigits(digits) || digits.size() > 9) {
        return std::nullopt;
    }
    int value = 0;
    for (const char c : digits) {
        value = value * 10 + (c - '0');
    }
    return value;
}

void annotate(Token& token)
{
    const std::string& t = token.text;
    token.numeric = !t.empty() && (isDigit(t.front()) || t.front() == '#');
    if (allDigits(t)) {
        token.number = digitValue(t);
        token.digits = t;
        return;
    }
    if (const auto value = cardinalWord(t)) {
        token.number = value;
        token.digits = std::to_string(*value);
        return;
    }
    token.ordinal = ordinalWord(t);
}

} // namespace

std::optional<int> cardinalWord(std::string_view word)
{
    for (std::size_t i = 0; i < kUnits.size(); ++i) {
        if (word == kUnits[i]) {
            return static_cast<int>(i);
        }
    }
    for (std::size_t i = 0; i < kTens.size(); ++i) {
        if (word == kTens[i]) {
            return static_cast<int>(20 + 10 * i);
        }
    }
    if (word == "nought" || word == "nil") {
        return 0;
    }
    return std::nullopt;
}

std::optional<int> ordinalWord(std::string_view word)
{
    for (std::size_t i = 1; i < kUnitOrdinals.size(); ++i) {
        if (word == kUnitOrdinals[i]) {
            return static_cast<int>(i);
        }
    }
    for (std::size_t i = 0; i < kTensOrdinals.size(); ++i) {
        if (word == kTensOrdinals[i]) {
            return static_cast<int>(20 + 10 * i);
        }
    }
    if (word.size() >= 3 && word.size() <= 4) {
        const std::string_view digits = word.substr(0, word.size() - 2);
        const std::string_view suffix = word.substr(word.size() - 2);
        const auto value = digitValue(digits);
        if (!value || *value < 1 || *value > 31) {
            return std::nullopt;
        }
        // The suffix must be the right one: 1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st, 22nd...
        const int lastTwo = *value % 100;
        const int last = *value % 10;
        std::string_view expected = "th";
        if (lastTwo < 11 || lastTwo > 13) {
            expected = last == 1 ? "st" : last == 2 ? "nd" : last == 3 ? "rd" : "th";
        }
        // Typists get it wrong ("2th", "3th"): accept "th" on any number as well.
        if (suffix == expected || suffix == "th") {
            return value;
        }
    }
    return std::nullopt;
}

std::vector<Token> tokenize(std::string_view utterance)
{
    std::size_t cut = std::min(utterance.size(), kMaxUtteranceBytes);
    // Never split a UTF-8 sequence: back off to the start of the one that straddles the cut.
    while (cut > 0 && cut < utterance.size() &&
           (static_cast<unsigned char>(utterance[cut]) & 0xC0U) == 0x80U) {
        --cut;
    }
    const std::string cleaned = secondPass(firstPass(utterance.substr(0, cut)));

    // Words and clause breaks.
    std::vector<Piece> pieces;
    bool pendingBreak = true;
    std::size_t i = 0;
    while (i < cleaned.size()) {
        const char c = cleaned[i];
        if (c == ' ') {
            ++i;
            continue;
        }
        if (c == kBreak) {
            pendingBreak = true;
            ++i;
            continue;
        }
        std::size_t end = i;
        while (end < cleaned.size() && cleaned[end] != ' ' && cleaned[end] != kBreak) {
            ++end;
        }
        // Connectors left at a word's edge ("3/", "-x") are dropped.
        std::string_view word(cleaned.data() + i, end - i);
        while (!word.empty() && (word.back() == '-' || word.back() == ':' || word.back() == '/' ||
                                 word.back() == '.' || word.back() == '#')) {
            word.remove_suffix(1);
        }
        std::vector<std::string> parts;
        splitWord(word, parts);
        for (auto& part : parts) {
            if (part.empty() || isHesitation(part)) {
                continue;
            }
            pieces.push_back({std::move(part), pendingBreak});
            pendingBreak = false;
        }
        i = end;
        if (pieces.size() > kMaxTokens * 2) {
            break;
        }
    }

    // Compounds a recogniser splits, before "sat" becomes "saturday".
    std::vector<Piece> joined;
    for (std::size_t k = 0; k < pieces.size(); ++k) {
        const bool hasNext = k + 1 < pieces.size() && !pieces[k + 1].breakBefore;
        if (hasNext && pieces[k].text == "o" && pieces[k + 1].text == "clock") {
            joined.push_back({"oclock", pieces[k].breakBefore});
            ++k;
        } else if (hasNext && pieces[k].text == "sat" && pieces[k + 1].text == "nav") {
            joined.push_back({"satnav", pieces[k].breakBefore});
            ++k;
        } else {
            joined.push_back(std::move(pieces[k]));
        }
    }

    std::vector<Token> tokens;
    for (auto& piece : joined) {
        const std::string_view spelled = respell(piece.text);
        bool first = true;
        std::size_t start = 0;
        while (start <= spelled.size()) {
            const std::size_t space = std::min(spelled.find(' ', start), spelled.size());
            Token token;
            token.text = std::string(spelled.substr(start, space - start));
            token.clauseStart = first && piece.breakBefore;
            annotate(token);
            tokens.push_back(std::move(token));
            first = false;
            start = space + 1;
        }
    }

    // "twenty three" is one number, "thirty first" one ordinal; "oh" between digits is 0.
    std::vector<Token> merged;
    for (std::size_t k = 0; k < tokens.size(); ++k) {
        Token& t = tokens[k];
        const bool hasNext = k + 1 < tokens.size() && !tokens[k + 1].clauseStart;
        if (hasNext && isTensWord(t.text) && t.number) {
            const Token& next = tokens[k + 1];
            if (next.number && !next.numeric && *next.number >= 1 && *next.number <= 9) {
                t.number = *t.number + *next.number;
                t.digits = std::to_string(*t.number);
                t.text += " " + next.text;
                merged.push_back(std::move(t));
                ++k;
                continue;
            }
            if (next.ordinal && !next.numeric && *next.ordinal >= 1 && *next.ordinal <= 9) {
                const int value = *t.number + *next.ordinal;
                t.ordinal = value;
                t.number.reset();
                t.digits.clear();
                t.text += " " + next.text;
                merged.push_back(std::move(t));
                ++k;
                continue;
            }
        }
        merged.push_back(std::move(t));
    }
    for (std::size_t k = 0; k < merged.size(); ++k) {
        Token& t = merged[k];
        if (t.text != "oh" && t.text != "o") {
            continue;
        }
        const bool before = k > 0 && merged[k - 1].number && !merged[k].clauseStart;
        const bool after =
            k + 1 < merged.size() && merged[k + 1].number && !merged[k + 1].clauseStart;
        if (before || (after && t.text == "o")) {
            t.number = 0;
            t.digits = "0";
        } else if (after && k > 0 && merged[k - 1].text == "double") {
            t.number = 0;
            t.digits = "0";
        }
    }
    if (merged.size() > kMaxTokens) {
        merged.resize(kMaxTokens);
    }
    return merged;
}

std::optional<int> parseCardinal(std::string_view phrase)
{
    const auto tokens = tokenize(phrase);
    if (tokens.size() != 1 || !tokens[0].number) {
        return std::nullopt;
    }
    return tokens[0].number;
}

std::optional<int> parseOrdinal(std::string_view phrase)
{
    auto tokens = tokenize(phrase);
    if (!tokens.empty() && tokens[0].text == "the") {
        tokens.erase(tokens.begin());
    }
    if (tokens.size() != 1 || !tokens[0].ordinal) {
        return std::nullopt;
    }
    return tokens[0].ordinal;
}

} // namespace cc::intent
