#include "shared/telephony/twiml.h"

#include "shared/util/utf8.h"

#include <cstdint>

namespace cc::telephony {
namespace {

constexpr std::string_view kXmlDeclaration = R"(<?xml version="1.0" encoding="UTF-8"?>)";

// XML 1.0 section 2.2: Char ::= #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] |
// [#x10000-#x10FFFF]. Surrogates never get here (they are not valid UTF-8).
bool isXmlChar(std::uint32_t cp)
{
    if (cp < 0x20) {
        return cp == 0x09 || cp == 0x0A || cp == 0x0D;
    }
    return cp != 0xFFFE && cp != 0xFFFF;
}

// Appends `text` escaped for element content or a double-quoted attribute value, dropping what
// XML cannot carry. Tab, LF and CR become character references where a parser would otherwise
// normalise them away (all three in attributes, CR in text), so Twilio reads what we wrote.
void appendEscaped(std::string& out, std::string_view text, bool attribute)
{
    std::size_t i = 0;
    while (i < text.size()) {
        std::uint32_t cp = 0;
        const std::size_t length = util::decodeUtf8(text, i, cp);
        if (length == 0) {
            ++i; // a stray byte of broken UTF-8: skip it and resynchronise on the next
            continue;
        }
        if (isXmlChar(cp)) {
            switch (cp) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&apos;";
                break;
            case '\r':
                out += "&#13;";
                break;
            case '\t':
                out += attribute ? "&#9;" : "\t";
                break;
            case '\n':
                out += attribute ? "&#10;" : "\n";
                break;
            default:
                out.append(text.substr(i, length));
            }
        }
        i += length;
    }
}

std::string_view methodName(HttpMethod m)
{
    return m == HttpMethod::Get ? "GET" : "POST";
}

std::string_view inputName(GatherInput input)
{
    switch (input) {
    case GatherInput::Dtmf:
        return "dtmf";
    case GatherInput::Speech:
        return "speech";
    case GatherInput::DtmfSpeech:
        return "dtmf speech";
    }
    return "dtmf";
}

std::string_view targetElement(DialTarget::Kind kind)
{
    switch (kind) {
    case DialTarget::Kind::Number:
        return "Number";
    case DialTarget::Kind::Client:
        return "Client";
    case DialTarget::Kind::Sip:
        return "Sip";
    }
    return "Number";
}

// Writes one element: start tag with the attributes that are set, then either text and an end
// tag, or open() for nested elements and close() after them, or (nothing else) "/>".
class Element {
public:
    Element(std::string& out, std::string_view name)
        : m_out(out)
        , m_name(name)
    {
        m_out += '<';
        m_out += name;
    }

    Element& attr(std::string_view name, std::string_view value)
    {
        if (!value.empty()) {
            m_out += ' ';
            m_out += name;
            m_out += "=\"";
            appendEscaped(m_out, value, true);
            m_out += '"';
        }
        return *this;
    }
    Element& attr(std::string_view name, std::optional<int> value)
    {
        return value ? attr(name, std::to_string(*value)) : *this;
    }
    Element& attr(std::string_view name, std::optional<bool> value)
    {
        return value ? attr(name, std::string_view(*value ? "true" : "false")) : *this;
    }
    Element& attr(std::string_view name, std::optional<HttpMethod> value)
    {
        return value ? attr(name, methodName(*value)) : *this;
    }

    void text(std::string_view value)
    {
        const std::size_t before = m_out.size();
        m_out += '>';
        appendEscaped(m_out, value, false);
        if (m_out.size() == before + 1) {
            m_out.pop_back(); // nothing survived escaping: an empty element
            empty();
            return;
        }
        close();
    }
    void empty() { m_out += "/>"; }

    void open()
    {
        m_out += '>';
        m_openedAt = m_out.size();
    }
    // After open(): "</Name>", or "/>" in place of the '>' if nothing was nested.
    void close()
    {
        if (m_openedAt != 0 && m_out.size() == m_openedAt) {
            m_out.pop_back();
            empty();
            return;
        }
        m_out += "</";
        m_out += m_name;
        m_out += '>';
    }

private:
    std::string& m_out;
    std::string_view m_name;
    std::size_t m_openedAt = 0;
};

void writeSay(std::string& out, std::string_view text, const SayOptions& options)
{
    Element(out, "Say")
        .attr("voice", options.voice)
        .attr("language", options.language)
        .attr("loop", options.loop)
        .text(text);
}

void writePlay(std::string& out, std::string_view url, std::optional<int> loop)
{
    Element(out, "Play").attr("loop", loop).text(url);
}

void writePause(std::string& out, int seconds)
{
    Element(out, "Pause").attr("length", std::optional<int>(seconds)).empty();
}

} // namespace

GatherPrompts& GatherPrompts::say(std::string_view text, const SayOptions& options)
{
    writeSay(*m_out, text, options);
    return *this;
}

GatherPrompts& GatherPrompts::play(std::string_view url, std::optional<int> loop)
{
    writePlay(*m_out, url, loop);
    return *this;
}

GatherPrompts& GatherPrompts::pause(int seconds)
{
    writePause(*m_out, seconds);
    return *this;
}

TwimlBuilder& TwimlBuilder::say(std::string_view text, const SayOptions& options)
{
    writeSay(m_body, text, options);
    return *this;
}

TwimlBuilder& TwimlBuilder::play(std::string_view url, std::optional<int> loop)
{
    writePlay(m_body, url, loop);
    return *this;
}

TwimlBuilder& TwimlBuilder::pause(int seconds)
{
    writePause(m_body, seconds);
    return *this;
}

TwimlBuilder& TwimlBuilder::gather(const GatherOptions& options,
                                   const std::function<void(GatherPrompts&)>& prompts)
{
    Element e(m_body, "Gather");
    if (options.input) {
        e.attr("input", inputName(*options.input));
    }
    e.attr("numDigits", options.numDigits)
        .attr("timeout", options.timeout)
        .attr("finishOnKey", options.finishOnKey)
        .attr("action", options.action)
        .attr("method", options.method)
        .attr("speechTimeout", options.speechTimeout)
        .attr("hints", options.hints)
        .attr("language", options.language)
        .attr("actionOnEmptyResult", options.actionOnEmptyResult);
    e.open();
    if (prompts) {
        GatherPrompts nested(&m_body);
        prompts(nested);
    }
    e.close();
    return *this;
}

TwimlBuilder& TwimlBuilder::dial(const DialOptions& options, const std::vector<DialTarget>& targets)
{
    Element e(m_body, "Dial");
    e.attr("action", options.action)
        .attr("method", options.method)
        .attr("timeout", options.timeout)
        .attr("callerId", options.callerId)
        .attr("record", options.record)
        .attr("answerOnBridge", options.answerOnBridge)
        .attr("timeLimit", options.timeLimit);
    e.open();
    for (const DialTarget& target : targets) {
        Element(m_body, targetElement(target.kind))
            .attr("statusCallback", target.statusCallback)
            .attr("statusCallbackEvent", target.statusCallbackEvent)
            .text(target.value);
    }
    e.close();
    return *this;
}

TwimlBuilder& TwimlBuilder::enqueue(std::string_view queueName, const EnqueueOptions& options)
{
    Element(m_body, "Enqueue")
        .attr("action", options.action)
        .attr("method", options.method)
        .attr("waitUrl", options.waitUrl)
        .attr("waitUrlMethod", options.waitUrlMethod)
        .text(queueName);
    return *this;
}

TwimlBuilder& TwimlBuilder::record(const RecordOptions& options)
{
    Element(m_body, "Record")
        .attr("action", options.action)
        .attr("method", options.method)
        .attr("timeout", options.timeout)
        .attr("maxLength", options.maxLength)
        .attr("playBeep", options.playBeep)
        .attr("finishOnKey", options.finishOnKey)
        .attr("transcribe", options.transcribe ? std::optional<bool>(true) : std::nullopt)
        .attr("recordingStatusCallback", options.recordingStatusCallback)
        .empty();
    return *this;
}

TwimlBuilder& TwimlBuilder::redirect(std::string_view url, std::optional<HttpMethod> method)
{
    Element(m_body, "Redirect").attr("method", method).text(url);
    return *this;
}

TwimlBuilder& TwimlBuilder::hangup()
{
    Element(m_body, "Hangup").empty();
    return *this;
}

TwimlBuilder& TwimlBuilder::leave()
{
    Element(m_body, "Leave").empty();
    return *this;
}

std::string TwimlBuilder::str() const
{
    std::string out;
    out.reserve(kXmlDeclaration.size() + m_body.size() + 21);
    out += kXmlDeclaration;
    out += "<Response>";
    out += m_body;
    out += "</Response>";
    return out;
}

} // namespace cc::telephony
