#include "tools/callsim/twiml_reader.h"

#include "shared/util/utf8.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <optional>

namespace cc::callsim {
namespace {

// ---- UTF-8 and XML characters ----

// XML 1.0 section 2.2, Char.
bool isXmlChar(std::uint32_t cp)
{
    if (cp < 0x20) {
        return cp == 0x09 || cp == 0x0A || cp == 0x0D;
    }
    return cp != 0xFFFE && cp != 0xFFFF && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
}

void appendUtf8(std::string& out, std::uint32_t cp)
{
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0U | (cp >> 6U)));
        out.push_back(static_cast<char>(0x80U | (cp & 0x3FU)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0U | (cp >> 12U)));
        out.push_back(static_cast<char>(0x80U | ((cp >> 6U) & 0x3FU)));
        out.push_back(static_cast<char>(0x80U | (cp & 0x3FU)));
    } else {
        out.push_back(static_cast<char>(0xF0U | (cp >> 18U)));
        out.push_back(static_cast<char>(0x80U | ((cp >> 12U) & 0x3FU)));
        out.push_back(static_cast<char>(0x80U | ((cp >> 6U) & 0x3FU)));
        out.push_back(static_cast<char>(0x80U | (cp & 0x3FU)));
    }
}

bool isSpace(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// Names: ASCII letters, '_' and ':' to start, then also digits, '-' and '.'; any non-ASCII
// character is taken as a name character (XML allows most of them; TwiML uses none).
bool isNameStart(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == ':' ||
           static_cast<unsigned char>(c) >= 0x80;
}

bool isNameChar(char c)
{
    return isNameStart(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

std::string_view trim(std::string_view s)
{
    while (!s.empty() && isSpace(s.front())) {
        s.remove_prefix(1);
    }
    while (!s.empty() && isSpace(s.back())) {
        s.remove_suffix(1);
    }
    return s;
}

// ---- the XML reader ----

class Reader {
public:
    explicit Reader(std::string_view in)
        : m_in(in)
    {}

    Result<XmlElement, std::string> document()
    {
        if (m_in.size() > kMaxDocumentBytes) {
            return std::string("document larger than 1 MiB");
        }
        if (!checkCharacters()) {
            return m_error;
        }
        if (m_in.substr(0, 3) == "\xEF\xBB\xBF") {
            m_pos = 3; // a UTF-8 byte order mark
        }
        XmlElement root;
        if (!declaration() || !misc() || !element(root, 1) || !misc()) {
            return m_error;
        }
        if (m_pos != m_in.size()) {
            fail("content after the root element");
            return m_error;
        }
        return root;
    }

private:
    bool fail(std::string_view what)
    {
        if (m_error.empty()) {
            m_error = std::string(what) + " (at byte " + std::to_string(m_pos) + ")";
        }
        return false;
    }

    bool atEnd() const { return m_pos >= m_in.size(); }
    bool startsWith(std::string_view s) const { return m_in.substr(m_pos, s.size()) == s; }
    void skipSpace()
    {
        while (!atEnd() && isSpace(m_in[m_pos])) {
            ++m_pos;
        }
    }

    bool checkCharacters()
    {
        std::size_t i = 0;
        while (i < m_in.size()) {
            std::uint32_t cp = 0;
            const std::size_t length = util::decodeUtf8(m_in, i, cp);
            if (length == 0) {
                m_pos = i;
                return fail("invalid UTF-8");
            }
            if (!isXmlChar(cp)) {
                m_pos = i;
                return fail("a character XML does not allow");
            }
            i += length;
        }
        return true;
    }

    bool name(std::string& out)
    {
        if (atEnd() || !isNameStart(m_in[m_pos])) {
            return fail("expected a name");
        }
        const std::size_t start = m_pos;
        while (!atEnd() && isNameChar(m_in[m_pos])) {
            ++m_pos;
        }
        out.assign(m_in.substr(start, m_pos - start));
        return true;
    }

    // After "<?xml": version, then optional encoding and standalone, each once and in order.
    bool declaration()
    {
        if (!startsWith("<?xml") || (m_pos + 5 < m_in.size() && !isSpace(m_in[m_pos + 5]))) {
            return true; // no declaration: allowed
        }
        m_pos += 5;
        std::vector<std::pair<std::string, std::string>> fields;
        while (true) {
            const std::size_t before = m_pos;
            skipSpace();
            if (startsWith("?>")) {
                m_pos += 2;
                break;
            }
            if (m_pos == before) {
                return fail("expected a space in the XML declaration");
            }
            std::string key;
            std::string value;
            if (!name(key) || !equals() || !quoted(value, false)) {
                return false;
            }
            fields.emplace_back(std::move(key), std::move(value));
        }
        static constexpr std::string_view kOrder[] = {"version", "encoding", "standalone"};
        std::size_t next = 0;
        for (const auto& [key, value] : fields) {
            while (next < 3 && kOrder[next] != key) {
                ++next;
            }
            if (next == 3) {
                return fail("unexpected field in the XML declaration: " + key);
            }
            if (key == "version" && value != "1.0") {
                return fail("XML version " + value + " (only 1.0 is read)");
            }
            if (key == "encoding") {
                std::string upper = value;
                std::transform(upper.begin(), upper.end(), upper.begin(), [](char c) {
                    return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
                });
                if (upper != "UTF-8") {
                    return fail("encoding " + value + " (only UTF-8 is read)");
                }
            }
            if (key == "standalone" && value != "yes" && value != "no") {
                return fail("standalone must be yes or no");
            }
            ++next;
        }
        if (fields.empty() || fields.front().first != "version") {
            return fail("the XML declaration has no version");
        }
        return true;
    }

    // Whitespace and comments between the declaration, the root and the end.
    bool misc()
    {
        while (true) {
            skipSpace();
            if (startsWith("<!--")) {
                if (!comment()) {
                    return false;
                }
            } else if (startsWith("<!DOCTYPE")) {
                return fail("DOCTYPE is not allowed");
            } else if (startsWith("<?")) {
                return fail("processing instructions are not allowed");
            } else {
                return true;
            }
        }
    }

    bool comment()
    {
        m_pos += 4;
        const std::size_t end = m_in.find("--", m_pos);
        if (end == std::string_view::npos) {
            return fail("unterminated comment");
        }
        if (end + 2 >= m_in.size() || m_in[end + 2] != '>') {
            m_pos = end;
            return fail("\"--\" inside a comment");
        }
        m_pos = end + 3;
        return true;
    }

    bool equals()
    {
        skipSpace();
        if (atEnd() || m_in[m_pos] != '=') {
            return fail("expected '='");
        }
        ++m_pos;
        skipSpace();
        return true;
    }

    // After '&': a predefined entity or a character reference, decoded into `out`.
    bool reference(std::string& out)
    {
        ++m_pos;
        const std::size_t semicolon = m_in.find(';', m_pos);
        if (semicolon == std::string_view::npos || semicolon - m_pos > 12) {
            return fail("unterminated entity reference");
        }
        const std::string_view ref = m_in.substr(m_pos, semicolon - m_pos);
        m_pos = semicolon + 1;
        static constexpr std::pair<std::string_view, char> kEntities[] = {
            {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}};
        for (const auto& [entity, c] : kEntities) {
            if (ref == entity) {
                out.push_back(c);
                return true;
            }
        }
        if (ref.size() < 2 || ref[0] != '#') {
            return fail("undeclared entity &" + std::string(ref) + ";");
        }
        const bool hex = ref[1] == 'x';
        const std::string_view digits = ref.substr(hex ? 2 : 1);
        std::uint32_t cp = 0;
        const auto [end, ec] =
            std::from_chars(digits.data(), digits.data() + digits.size(), cp, hex ? 16 : 10);
        if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() ||
            !isXmlChar(cp)) {
            return fail("invalid character reference &" + std::string(ref) + ";");
        }
        appendUtf8(out, cp);
        return true;
    }

    // Appends one character of text at m_pos, with XML's line-end normalisation (CR LF and a
    // lone CR read as LF); in attribute values, tab and line ends read as a space.
    void literal(std::string& out, bool attribute)
    {
        const char c = m_in[m_pos++];
        if (c == '\r') {
            if (!atEnd() && m_in[m_pos] == '\n') {
                ++m_pos;
            }
            out.push_back(attribute ? ' ' : '\n');
        } else if (attribute && (c == '\n' || c == '\t')) {
            out.push_back(' ');
        } else {
            out.push_back(c);
        }
    }

    bool quoted(std::string& out, bool decode)
    {
        if (atEnd() || (m_in[m_pos] != '"' && m_in[m_pos] != '\'')) {
            return fail("expected a quoted value");
        }
        const char quote = m_in[m_pos++];
        while (true) {
            if (atEnd()) {
                return fail("unterminated attribute value");
            }
            const char c = m_in[m_pos];
            if (c == quote) {
                ++m_pos;
                return true;
            }
            if (c == '<') {
                return fail("'<' in an attribute value");
            }
            if (c == '&' && decode) {
                if (!reference(out)) {
                    return false;
                }
            } else {
                literal(out, true);
            }
        }
    }

    bool element(XmlElement& out, int depth)
    {
        if (depth > kMaxDepth) {
            return fail("elements nested too deeply");
        }
        if (++m_elements > kMaxElements) {
            return fail("too many elements");
        }
        if (atEnd() || m_in[m_pos] != '<') {
            return fail("expected an element");
        }
        ++m_pos;
        if (!name(out.name)) {
            return false;
        }
        // Attributes, then "/>" or ">".
        while (true) {
            const std::size_t before = m_pos;
            skipSpace();
            if (startsWith("/>")) {
                m_pos += 2;
                return true;
            }
            if (startsWith(">")) {
                ++m_pos;
                break;
            }
            if (m_pos == before) {
                return fail("expected a space, '>' or '/>' in <" + out.name + ">");
            }
            std::string key;
            std::string value;
            if (!name(key) || !equals() || !quoted(value, true)) {
                return false;
            }
            if (out.attribute(key) != nullptr) {
                return fail("attribute " + key + " given twice in <" + out.name + ">");
            }
            out.attributes.emplace_back(std::move(key), std::move(value));
        }
        // Content, up to the matching end tag.
        while (true) {
            if (atEnd()) {
                return fail("<" + out.name + "> is not closed");
            }
            if (startsWith("</")) {
                m_pos += 2;
                std::string closing;
                if (!name(closing)) {
                    return false;
                }
                if (closing != out.name) {
                    return fail("</" + closing + "> closes <" + out.name + ">");
                }
                skipSpace();
                if (!startsWith(">")) {
                    return fail("expected '>' after </" + closing);
                }
                ++m_pos;
                return true;
            }
            if (startsWith("<!--")) {
                if (!comment()) {
                    return false;
                }
            } else if (startsWith("<![CDATA[")) {
                m_pos += 9;
                const std::size_t end = m_in.find("]]>", m_pos);
                if (end == std::string_view::npos) {
                    return fail("unterminated CDATA section");
                }
                while (m_pos < end) {
                    literal(out.text, false);
                }
                m_pos = end + 3;
            } else if (startsWith("<?")) {
                return fail("processing instructions are not allowed");
            } else if (startsWith("<!")) {
                return fail("markup declarations are not allowed");
            } else if (startsWith("<")) {
                XmlElement child;
                if (!element(child, depth + 1)) {
                    return false;
                }
                out.children.push_back(std::move(child));
            } else if (startsWith("&")) {
                if (!reference(out.text)) {
                    return false;
                }
            } else if (startsWith("]]>")) {
                return fail("\"]]>\" in text");
            } else {
                literal(out.text, false);
            }
        }
    }

    std::string_view m_in;
    std::size_t m_pos = 0;
    std::size_t m_elements = 0;
    std::string m_error;
};

// ---- TwiML ----

using VerbResult = Result<Verb, std::string>;

std::string where(const XmlElement& e)
{
    return "<" + e.name + ">";
}

// An integer attribute in [min, max], or `fallback` when absent.
Result<int, std::string> intAttribute(const XmlElement& e, std::string_view name, int fallback,
                                      int min, int max)
{
    const std::string* v = e.attribute(name);
    if (v == nullptr) {
        return fallback;
    }
    const std::string_view s = trim(*v);
    int value = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size() || value < min ||
        value > max) {
        return where(e) + " " + std::string(name) + "=\"" + *v + "\" is not a number from " +
               std::to_string(min) + " to " + std::to_string(max);
    }
    return value;
}

// method / statusCallbackMethod / ...: the simulator only makes POST requests, as our server
// asks for.
std::optional<std::string> checkPost(const XmlElement& e, std::string_view name)
{
    const std::string* v = e.attribute(name);
    if (v == nullptr || *v == "POST") {
        return std::nullopt;
    }
    if (*v == "GET") {
        return where(e) + " " + std::string(name) + "=\"GET\": the simulator only POSTs";
    }
    return where(e) + " " + std::string(name) + "=\"" + *v + "\" is not GET or POST";
}

std::string attributeOr(const XmlElement& e, std::string_view name, std::string_view fallback)
{
    const std::string* v = e.attribute(name);
    return v != nullptr ? *v : std::string(fallback);
}

std::vector<std::string> words(std::string_view s)
{
    std::vector<std::string> out;
    while (true) {
        s = trim(s);
        if (s.empty()) {
            return out;
        }
        std::size_t end = 0;
        while (end < s.size() && !isSpace(s[end])) {
            ++end;
        }
        out.emplace_back(s.substr(0, end));
        s.remove_prefix(end);
    }
}

std::optional<std::string> noChildren(const XmlElement& e)
{
    if (!e.children.empty()) {
        return "<" + e.children.front().name + "> inside " + where(e) + " is not supported";
    }
    return std::nullopt;
}

std::optional<std::string> noText(const XmlElement& e)
{
    if (!trim(e.text).empty()) {
        return where(e) + " holds text it does not take";
    }
    return std::nullopt;
}

VerbResult readVerb(const XmlElement& e, bool nested);

VerbResult readSayOrPlay(const XmlElement& e, Verb::Kind kind)
{
    Verb v;
    v.kind = kind;
    if (auto problem = noChildren(e)) {
        return *problem;
    }
    v.text = std::string(trim(e.text));
    if (kind == Verb::Kind::Play && v.text.empty()) {
        return std::string("<Play> without a URL (digits are not supported)");
    }
    const auto loop = intAttribute(e, "loop", 1, 0, 1000);
    if (!loop) {
        return loop.error();
    }
    v.loop = *loop;
    return v;
}

VerbResult readPause(const XmlElement& e)
{
    if (auto problem = noChildren(e).value_or(noText(e).value_or("")); !problem.empty()) {
        return problem;
    }
    const auto length = intAttribute(e, "length", 1, 0, 3600);
    if (!length) {
        return length.error();
    }
    Verb v;
    v.kind = Verb::Kind::Pause;
    v.seconds = *length;
    return v;
}

VerbResult readGather(const XmlElement& e)
{
    Verb v;
    v.kind = Verb::Kind::Gather;
    if (auto problem = checkPost(e, "method")) {
        return *problem;
    }
    if (auto problem = noText(e)) {
        return *problem;
    }
    if (const std::string* input = e.attribute("input")) {
        const auto kinds = words(*input);
        v.dtmf = std::find(kinds.begin(), kinds.end(), "dtmf") != kinds.end();
        v.speech = std::find(kinds.begin(), kinds.end(), "speech") != kinds.end();
        for (const auto& k : kinds) {
            if (k != "dtmf" && k != "speech") {
                return "<Gather> input \"" + *input + "\" is not dtmf and/or speech";
            }
        }
    }
    const auto numDigits = intAttribute(e, "numDigits", 0, 1, 100);
    const auto timeout = intAttribute(e, "timeout", 5, 0, 3600);
    if (!numDigits || !timeout) {
        return !numDigits ? numDigits.error() : timeout.error();
    }
    v.numDigits = *numDigits;
    v.seconds = *timeout;
    v.action = attributeOr(e, "action", "");
    v.finishOnKey = attributeOr(e, "finishOnKey", "#");
    for (const XmlElement& child : e.children) {
        if (child.name != "Say" && child.name != "Play" && child.name != "Pause") {
            return "<" + child.name + "> inside <Gather> (only Say, Play and Pause nest there)";
        }
        auto prompt = readVerb(child, true);
        if (!prompt) {
            return prompt.error();
        }
        v.prompts.push_back(std::move(prompt).value());
    }
    return v;
}

VerbResult readRedirect(const XmlElement& e)
{
    if (auto problem = checkPost(e, "method").value_or(noChildren(e).value_or(""));
        !problem.empty()) {
        return problem;
    }
    Verb v;
    v.kind = Verb::Kind::Redirect;
    v.text = std::string(trim(e.text));
    if (v.text.empty()) {
        return std::string("<Redirect> without a URL");
    }
    return v;
}

VerbResult readDial(const XmlElement& e)
{
    Verb v;
    v.kind = Verb::Kind::Dial;
    if (auto problem = checkPost(e, "method")) {
        return *problem;
    }
    const auto timeout = intAttribute(e, "timeout", 30, 1, 600);
    if (!timeout) {
        return timeout.error();
    }
    v.seconds = *timeout;
    v.action = attributeOr(e, "action", "");
    for (const XmlElement& child : e.children) {
        DialTarget t;
        if (child.name == "Number") {
            t.kind = DialTarget::Kind::Number;
        } else if (child.name == "Client") {
            t.kind = DialTarget::Kind::Client;
        } else if (child.name == "Sip") {
            t.kind = DialTarget::Kind::Sip;
        } else {
            return "<" + child.name + "> inside <Dial> is not supported (Number, Client, Sip)";
        }
        if (auto problem =
                checkPost(child, "statusCallbackMethod")
                    .value_or(checkPost(child, "method").value_or(noChildren(child).value_or("")));
            !problem.empty()) {
            return problem;
        }
        t.value = std::string(trim(child.text));
        if (t.value.empty()) {
            return "<" + child.name + "> inside <Dial> is empty";
        }
        t.statusCallback = attributeOr(child, "statusCallback", "");
        t.statusCallbackEvents = words(attributeOr(child, "statusCallbackEvent", ""));
        for (const auto& event : t.statusCallbackEvents) {
            if (event != "initiated" && event != "ringing" && event != "answered" &&
                event != "completed") {
                return "<" + child.name + "> statusCallbackEvent \"" + event + "\" is unknown";
            }
        }
        // Twilio's default: the completed event only.
        if (!t.statusCallback.empty() && t.statusCallbackEvents.empty()) {
            t.statusCallbackEvents.emplace_back("completed");
        }
        v.targets.push_back(std::move(t));
    }
    const std::string_view text = trim(e.text);
    if (!text.empty() && !v.targets.empty()) {
        return std::string("<Dial> holds both a number as text and nouns");
    }
    if (!text.empty()) {
        v.targets.push_back({DialTarget::Kind::Number, std::string(text), {}, {}});
    }
    if (v.targets.empty()) {
        return std::string("<Dial> with nothing to dial");
    }
    return v;
}

VerbResult readRecord(const XmlElement& e)
{
    Verb v;
    v.kind = Verb::Kind::Record;
    if (auto problem = checkPost(e, "method")
                           .value_or(checkPost(e, "recordingStatusCallbackMethod")
                                         .value_or(noChildren(e).value_or(noText(e).value_or(""))));
        !problem.empty()) {
        return problem;
    }
    const auto maxLength = intAttribute(e, "maxLength", 3600, 1, 14400);
    const auto timeout = intAttribute(e, "timeout", 5, 0, 3600);
    if (!maxLength || !timeout) {
        return !maxLength ? maxLength.error() : timeout.error();
    }
    v.seconds = *maxLength;
    v.action = attributeOr(e, "action", "");
    v.finishOnKey = attributeOr(e, "finishOnKey", "1234567890*#");
    v.recordingStatusCallback = attributeOr(e, "recordingStatusCallback", "");
    return v;
}

VerbResult readVerb(const XmlElement& e, bool nested)
{
    if (e.name == "Say") {
        return readSayOrPlay(e, Verb::Kind::Say);
    }
    if (e.name == "Play") {
        return readSayOrPlay(e, Verb::Kind::Play);
    }
    if (e.name == "Pause") {
        return readPause(e);
    }
    if (nested) {
        return "<" + e.name + "> cannot be nested";
    }
    if (e.name == "Gather") {
        return readGather(e);
    }
    if (e.name == "Redirect") {
        return readRedirect(e);
    }
    if (e.name == "Dial") {
        return readDial(e);
    }
    if (e.name == "Record") {
        return readRecord(e);
    }
    if (e.name == "Hangup") {
        if (auto problem = noChildren(e).value_or(noText(e).value_or("")); !problem.empty()) {
            return problem;
        }
        return Verb{};
    }
    return "<" + e.name + "> is not a verb the simulator plays";
}

} // namespace

const std::string* XmlElement::attribute(std::string_view attributeName) const
{
    for (const auto& [k, v] : attributes) {
        if (k == attributeName) {
            return &v;
        }
    }
    return nullptr;
}

Result<XmlElement, std::string> parseXml(std::string_view document)
{
    return Reader(document).document();
}

std::string_view verbName(Verb::Kind kind)
{
    switch (kind) {
    case Verb::Kind::Say:
        return "Say";
    case Verb::Kind::Play:
        return "Play";
    case Verb::Kind::Pause:
        return "Pause";
    case Verb::Kind::Gather:
        return "Gather";
    case Verb::Kind::Redirect:
        return "Redirect";
    case Verb::Kind::Dial:
        return "Dial";
    case Verb::Kind::Record:
        return "Record";
    case Verb::Kind::Hangup:
        return "Hangup";
    }
    return "?";
}

Result<std::vector<Verb>, std::string> parseTwiml(std::string_view document)
{
    auto root = parseXml(document);
    if (!root) {
        return "not well-formed XML: " + root.error();
    }
    if (root->name != "Response") {
        return "the root element is <" + root->name + ">, not <Response>";
    }
    if (auto problem = noText(*root)) {
        return *problem;
    }
    std::vector<Verb> verbs;
    verbs.reserve(root->children.size());
    for (const XmlElement& e : root->children) {
        auto verb = readVerb(e, false);
        if (!verb) {
            return verb.error();
        }
        verbs.push_back(std::move(verb).value());
    }
    return verbs;
}

} // namespace cc::callsim
