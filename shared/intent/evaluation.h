#pragma once

#include "shared/intent/intent.h"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// Scoring the detector against a labelled set (tests/data/intents.tsv and its held-out
// companion): per-intent precision and recall, slot accuracy, and the mistakes. Shared by the
// unit test, which asserts floors, and the benchmark, which prints the same report.
//
// File format (documented in full in the header of tests/data/intents.tsv): one utterance a
// line, `utterance <TAB> intent [<TAB> slots]`; '#' starts a comment line; a comment line
// starting "# Reference" carries the reference date and time (YYYY-MM-DD and HH:MM anywhere on
// it); slots are `key=value` pairs separated by ';' ("-" for none).
namespace cc::intent {

struct LabelledUtterance {
    std::size_t line = 0;
    std::string utterance;
    Intent expected = Intent::Unknown;
    bool slotsChecked = false; // the line has a slot column: every slot is checked
    std::vector<std::pair<std::string, std::string>> slots; // as written: "date", "+1"
};

struct LabelledSet {
    std::optional<Reference> reference; // from the "# Reference" line
    std::vector<LabelledUtterance> items;
    std::vector<std::string> errors; // malformed lines, unknown intents or slot keys
};

LabelledSet parseLabelledSet(std::string_view text);

// The slot keys of the format, in the order reports list them.
const std::vector<std::string_view>& slotKeys();

// One slot of a detection in the file's notation ("2025-05-01", "15:00", "blue,white").
std::string slotValue(const Slots& slots, std::string_view key);
// An expected value in canonical form: "+1" becomes the ISO date one day after the reference.
std::string canonicalExpected(std::string_view key, std::string_view value,
                              const Reference& reference);

// What the IVR does with a detection: below kHandOffBelow it hands the call to a person, which
// is what it does for Unknown. Scores count this, not the raw intent.
Intent actedIntent(const Detection& detection);

struct IntentStats {
    Intent intent = Intent::Unknown;
    int support = 0; // lines labelled with it
    int truePositives = 0;
    int falsePositives = 0;
    int falseNegatives = 0;
    double precision = 0; // 1 when nothing was predicted as it (and there was nothing to find)
    double recall = 0;
};

struct Report {
    int utterances = 0;
    int correct = 0;                    // acted intent == label
    std::vector<IntentStats> perIntent; // allIntents() order, Unknown first
    double macroPrecision = 0;          // mean over the eight intents, Unknown left out
    double macroRecall = 0;
    double unknownPrecision = 0; // how often "hand it to a person" was right
    double unknownRecall = 0;
    int slotLines = 0; // lines with a slot column
    int slotsExpected = 0;
    int slotsCorrect = 0;
    int spuriousSlots = 0;                 // a slot filled that the line says is empty
    std::vector<std::string> mistakes;     // intent errors, one line each
    std::vector<std::string> slotMistakes; // slot errors, one line each
    double accuracy() const { return utterances == 0 ? 0.0 : double(correct) / utterances; }
    double slotAccuracy() const
    {
        return slotsExpected == 0 ? 1.0 : double(slotsCorrect) / slotsExpected;
    }
};

Report evaluate(const LabelledSet& set, const Reference& reference);

// The report as a table, one line per row, for qInfo() and stdout.
std::vector<std::string> formatReport(const Report& report, std::string_view title);

} // namespace cc::intent
