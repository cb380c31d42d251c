#include "shared/intent/evaluation.h"

#include <algorithm>
#include <cstdio>

namespace cc::intent {
namespace {

std::string_view trim(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\r' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\r' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

std::vector<std::string_view> split(std::string_view s, char separator)
{
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    while (true) {
        const std::size_t at = s.find(separator, start);
        if (at == std::string_view::npos) {
            parts.push_back(s.substr(start));
            return parts;
        }
        parts.push_back(s.substr(start, at - start));
        start = at + 1;
    }
}

// The first "YYYY-MM-DD" and "HH:MM" on a line.
std::optional<Reference> referenceFrom(std::string_view line)
{
    std::optional<LocalDate> date;
    std::optional<int> minute;
    for (std::size_t i = 0; i + 10 <= line.size() && !date; ++i) {
        date = parseIsoDate(line.substr(i, 10));
    }
    for (std::size_t i = 0; i + 5 <= line.size() && !minute; ++i) {
        if (i > 0 && line[i - 1] >= '0' && line[i - 1] <= '9') {
            continue;
        }
        minute = parseMinuteOfDay(line.substr(i, 5));
    }
    if (!date) {
        return std::nullopt;
    }
    return Reference{*date, minute.value_or(0), NumericDateOrder::Nearest};
}

std::string percent(double value)
{
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "%.3f", value);
    return buffer;
}

std::string padded(std::string_view text, std::size_t width)
{
    std::string out(text);
    if (out.size() < width) {
        out.append(width - out.size(), ' ');
    }
    return out;
}

std::string describe(const Detection& d)
{
    std::string out(toString(d.intent));
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, " %.2f", d.confidence);
    return out + buffer;
}

} // namespace

const std::vector<std::string_view>& slotKeys()
{
    static const std::vector<std::string_view> keys{
        "item", "colour", "size", "qty", "date", "time", "part", "from_date", "from_time", "order"};
    return keys;
}

LabelledSet parseLabelledSet(std::string_view text)
{
    LabelledSet set;
    std::size_t lineNumber = 0;
    for (const std::string_view rawLine : split(text, '\n')) {
        ++lineNumber;
        const std::string_view line = trim(rawLine);
        if (line.empty()) {
            continue;
        }
        if (line.front() == '#') {
            if (!set.reference && line.substr(0, 11) == "# Reference") {
                set.reference = referenceFrom(line);
            }
            continue;
        }
        const auto columns = split(rawLine, '\t');
        if (columns.size() < 2 || columns.size() > 3) {
            set.errors.push_back("line " + std::to_string(lineNumber) +
                                 ": expected 2 or 3 columns");
            continue;
        }
        LabelledUtterance item;
        item.line = lineNumber;
        item.utterance = std::string(trim(columns[0]));
        const auto intent = intentFromString(trim(columns[1]));
        if (!intent) {
            set.errors.push_back("line " + std::to_string(lineNumber) + ": unknown intent '" +
                                 std::string(trim(columns[1])) + "'");
            continue;
        }
        item.expected = *intent;
        if (columns.size() == 3) {
            item.slotsChecked = true;
            const std::string_view slots = trim(columns[2]);
            if (slots != "-" && !slots.empty()) {
                for (const std::string_view pair : split(slots, ';')) {
                    const std::size_t eq = pair.find('=');
                    const std::string_view key = trim(pair.substr(0, eq));
                    if (eq == std::string_view::npos ||
                        std::find(slotKeys().begin(), slotKeys().end(), key) == slotKeys().end()) {
                        set.errors.push_back("line " + std::to_string(lineNumber) + ": bad slot '" +
                                             std::string(pair) + "'");
                        continue;
                    }
                    item.slots.emplace_back(std::string(key),
                                            std::string(trim(pair.substr(eq + 1))));
                }
            }
        }
        set.items.push_back(std::move(item));
    }
    return set;
}

std::string slotValue(const Slots& slots, std::string_view key)
{
    if (key == "item") {
        return slots.item;
    }
    if (key == "colour") {
        std::string out;
        for (const std::string& colour : slots.colours) {
            out += (out.empty() ? "" : ",") + colour;
        }
        return out;
    }
    if (key == "size") {
        return slots.size;
    }
    if (key == "qty") {
        return slots.quantity ? std::to_string(*slots.quantity) : std::string();
    }
    if (key == "date") {
        return slots.date ? toIsoString(*slots.date) : std::string();
    }
    if (key == "time") {
        return slots.minuteOfDay ? formatMinuteOfDay(*slots.minuteOfDay) : std::string();
    }
    if (key == "part") {
        return slots.dayPart ? std::string(toString(*slots.dayPart)) : std::string();
    }
    if (key == "from_date") {
        return slots.fromDate ? toIsoString(*slots.fromDate) : std::string();
    }
    if (key == "from_time") {
        return slots.fromMinuteOfDay ? formatMinuteOfDay(*slots.fromMinuteOfDay) : std::string();
    }
    if (key == "order") {
        return slots.orderNumber;
    }
    return {};
}

std::string canonicalExpected(std::string_view key, std::string_view value,
                              const Reference& reference)
{
    if ((key == "date" || key == "from_date") && !value.empty() && value.front() == '+') {
        int days = 0;
        for (const char c : value.substr(1)) {
            if (c < '0' || c > '9') {
                return std::string(value);
            }
            days = days * 10 + (c - '0');
            if (days > 100000) {
                return std::string(value);
            }
        }
        return toIsoString(addDays(reference.today, days));
    }
    return std::string(value);
}

Intent actedIntent(const Detection& detection)
{
    return detection.confidence < kHandOffBelow ? Intent::Unknown : detection.intent;
}

Report evaluate(const LabelledSet& set, const Reference& reference)
{
    Report report;
    const auto& intents = allIntents();
    for (const Intent intent : intents) {
        report.perIntent.push_back({intent, 0, 0, 0, 0, 0, 0});
    }
    auto stats = [&](Intent intent) -> IntentStats& {
        return report.perIntent[static_cast<std::size_t>(intent)];
    };
    for (const LabelledUtterance& item : set.items) {
        const Detection detection = detect(item.utterance, reference);
        const Intent acted = actedIntent(detection);
        ++report.utterances;
        ++stats(item.expected).support;
        if (acted == item.expected) {
            ++report.correct;
            ++stats(acted).truePositives;
        } else {
            ++stats(acted).falsePositives;
            ++stats(item.expected).falseNegatives;
            report.mistakes.push_back("line " + std::to_string(item.line) + ": expected " +
                                      std::string(toString(item.expected)) + ", got " +
                                      describe(detection) + ": " + item.utterance);
        }
        if (!item.slotsChecked) {
            continue;
        }
        ++report.slotLines;
        for (const std::string_view key : slotKeys()) {
            std::string expected;
            for (const auto& [k, v] : item.slots) {
                if (k == key) {
                    expected = canonicalExpected(key, v, reference);
                }
            }
            const std::string actual = slotValue(detection.slots, key);
            if (!expected.empty()) {
                ++report.slotsExpected;
                if (actual == expected) {
                    ++report.slotsCorrect;
                    continue;
                }
            } else if (actual.empty()) {
                continue;
            } else {
                ++report.spuriousSlots;
            }
            report.slotMistakes.push_back("line " + std::to_string(item.line) + ": " +
                                          std::string(key) + " expected '" + expected + "', got '" +
                                          actual + "': " + item.utterance);
        }
    }
    double precisionSum = 0;
    double recallSum = 0;
    int counted = 0;
    for (IntentStats& s : report.perIntent) {
        const int predicted = s.truePositives + s.falsePositives;
        const int actual = s.truePositives + s.falseNegatives;
        s.precision =
            predicted == 0 ? (actual == 0 ? 1.0 : 0.0) : double(s.truePositives) / predicted;
        s.recall = actual == 0 ? 1.0 : double(s.truePositives) / actual;
        if (s.intent == Intent::Unknown) {
            report.unknownPrecision = s.precision;
            report.unknownRecall = s.recall;
        } else {
            precisionSum += s.precision;
            recallSum += s.recall;
            ++counted;
        }
    }
    report.macroPrecision = counted == 0 ? 0 : precisionSum / counted;
    report.macroRecall = counted == 0 ? 0 : recallSum / counted;
    return report;
}

std::vector<std::string> formatReport(const Report& report, std::string_view title)
{
    std::vector<std::string> lines;
    lines.push_back("== " + std::string(title) + " ==");
    lines.push_back(padded("intent", 20) + padded("support", 9) + padded("precision", 11) +
                    "recall");
    for (const IntentStats& s : report.perIntent) {
        lines.push_back(padded(toString(s.intent), 20) + padded(std::to_string(s.support), 9) +
                        padded(percent(s.precision), 11) + percent(s.recall));
    }
    lines.push_back("macro (8 intents, unknown left out): precision " +
                    percent(report.macroPrecision) + ", recall " + percent(report.macroRecall));
    lines.push_back("accuracy " + percent(report.accuracy()) + " (" +
                    std::to_string(report.correct) + "/" + std::to_string(report.utterances) +
                    "), counting a detection below the hand-off confidence as unknown");
    lines.push_back("slots: " + std::to_string(report.slotsCorrect) + "/" +
                    std::to_string(report.slotsExpected) + " correct (" +
                    percent(report.slotAccuracy()) + ") on " + std::to_string(report.slotLines) +
                    " lines; " + std::to_string(report.spuriousSlots) + " spurious");
    return lines;
}

} // namespace cc::intent
