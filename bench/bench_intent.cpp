// Intent detection (shared/intent): accuracy on the labelled sets and the cost of one detect().
//
//   build/bench/bench/bench_intent [--rounds N] [--data DIR] [extra.tsv ...]
//
// Prints, for tests/data/intents.tsv and intents_holdout.tsv (and any extra files given), the
// per-intent precision and recall, slot accuracy and the mistakes; then runs every utterance of
// those files `--rounds` times (default 200) through detect() and reports utterances per second
// and the p50 / p99 / max of one call in microseconds, single-threaded.
//
// Unlike the P1-P8 programs it needs no server or database: only cc_shared.

#include "shared/intent/evaluation.h"
#include "shared/intent/intent.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace cc::intent;

namespace {

using Clock = std::chrono::steady_clock;

bool readFile(const std::string& path, std::string& out)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return false;
    }
    std::ostringstream buffer;
    buffer << in.rdbuf();
    out = buffer.str();
    return true;
}

double percentile(const std::vector<double>& sorted, double p)
{
    if (sorted.empty()) {
        return 0;
    }
    // Nearest rank, as bench/harness.h does.
    const auto rank = static_cast<std::size_t>(p * static_cast<double>(sorted.size()) + 0.999999);
    return sorted[std::min(sorted.size(), std::max<std::size_t>(rank, 1)) - 1];
}

} // namespace

int main(int argc, char** argv)
{
    std::string dataDir = CC_INTENT_DATA_DIR;
    long rounds = 200;
    std::vector<std::string> files;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--rounds" && i + 1 < argc) {
            rounds = std::max(1L, std::strtol(argv[++i], nullptr, 10));
        } else if (arg == "--data" && i + 1 < argc) {
            dataDir = argv[++i];
        } else if (!arg.empty() && arg[0] == '-') {
            std::fprintf(stderr, "usage: %s [--rounds N] [--data DIR] [extra.tsv ...]\n", argv[0]);
            return 2;
        } else {
            files.push_back(arg);
        }
    }
    files.insert(files.begin(), {dataDir + "/intents.tsv", dataDir + "/intents_holdout.tsv"});

    std::printf("== Intent detection (shared/intent), %s build ==\n", CC_BENCH_BUILD_TYPE);
    std::vector<std::pair<std::string, Reference>> workload;
    for (const std::string& path : files) {
        std::string text;
        if (!readFile(path, text)) {
            std::fprintf(stderr, "cannot read %s\n", path.c_str());
            return 1;
        }
        const LabelledSet set = parseLabelledSet(text);
        for (const std::string& error : set.errors) {
            std::fprintf(stderr, "%s: %s\n", path.c_str(), error.c_str());
        }
        if (!set.reference) {
            std::fprintf(stderr, "%s: no '# Reference' line\n", path.c_str());
            return 1;
        }
        const Report report = evaluate(set, *set.reference);
        const std::string name = path.substr(path.find_last_of('/') + 1);
        for (const std::string& line : formatReport(report, name)) {
            std::printf("%s\n", line.c_str());
        }
        for (const std::string& line : report.mistakes) {
            std::printf("  intent  %s\n", line.c_str());
        }
        for (const std::string& line : report.slotMistakes) {
            std::printf("  slot    %s\n", line.c_str());
        }
        std::printf("\n");
        for (const LabelledUtterance& item : set.items) {
            workload.emplace_back(item.utterance, *set.reference);
        }
    }

    // Warm-up, then timed rounds. The sink keeps the optimiser from dropping the calls.
    std::size_t sink = 0;
    for (const auto& [utterance, reference] : workload) {
        sink += static_cast<std::size_t>(detect(utterance, reference).intent);
    }
    std::vector<double> micros;
    micros.reserve(workload.size() * static_cast<std::size_t>(rounds));
    const auto start = Clock::now();
    for (long r = 0; r < rounds; ++r) {
        for (const auto& [utterance, reference] : workload) {
            const auto before = Clock::now();
            const Detection d = detect(utterance, reference);
            const auto after = Clock::now();
            sink += static_cast<std::size_t>(d.intent) + d.slots.item.size();
            micros.push_back(std::chrono::duration<double, std::micro>(after - before).count());
        }
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    std::sort(micros.begin(), micros.end());
    std::printf("throughput: %zu utterances x %ld rounds = %zu calls in %.2f s: %.0f utterances/s "
                "(one thread)\n",
                workload.size(), rounds, micros.size(), seconds,
                static_cast<double>(micros.size()) / seconds);
    std::printf("detect() latency: p50 %.1f us, p99 %.1f us, max %.1f us\n",
                percentile(micros, 0.50), percentile(micros, 0.99), micros.back());
    // A worst case: the longest input read (kMaxUtteranceBytes of words).
    std::string longest;
    while (longest.size() < 1000) {
        longest += "can i move my appointment from tuesday at 3 to the 14th of may ";
    }
    const Reference reference = workload.front().second;
    std::vector<double> longMicros;
    for (int i = 0; i < 200; ++i) {
        const auto before = Clock::now();
        sink += static_cast<std::size_t>(detect(longest, reference).intent);
        longMicros.push_back(
            std::chrono::duration<double, std::micro>(Clock::now() - before).count());
    }
    std::sort(longMicros.begin(), longMicros.end());
    std::printf("1,000-byte utterance: p50 %.1f us, max %.1f us\n", percentile(longMicros, 0.5),
                longMicros.back());
    return sink == 0 ? 3 : 0;
}
