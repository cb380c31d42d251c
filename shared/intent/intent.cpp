#include "shared/intent/intent.h"

#include "shared/intent/slots.h"
#include "shared/intent/text.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <iterator>

namespace cc::intent {
namespace {

// Scores are kept for the eight intents and for "Other": things callers ask that we do not
// automate (a bill, a refund, a complaint, a job). Other never wins as an intent: when it leads,
// the answer is Unknown, and when it competes it lowers the confidence.
constexpr std::size_t kOther = 9;
constexpr std::size_t kTargets = 10;

constexpr std::size_t index(Intent intent)
{
    return static_cast<std::size_t>(intent);
}

enum CueFlag : unsigned {
    kPlain = 0,
    // Counts in full only where an appointment is being talked about (an appointment word, a
    // date or time, or another appointment cue): "change" alone is not a move.
    kNeedsContext = 1U << 0U,
    // The cue carries its own negation ("can't make it"): a "not" before it does not flip it.
    kNoNegation = 1U << 1U,
    // A soft cancellation ("I can't make Saturday"): with a move cue it explains the move.
    kSoftCancel = 1U << 2U,
    // A soft booking ("can I come in"): it yields to a clear question of another kind ("can I
    // come in at 7 or will you be closed" asks about hours).
    kSoftBook = 1U << 3U,
};

// A cue's pattern, words separated by spaces:
//   a|b|c   one of the words; a trailing * matches any word starting so ("cancel*")
//   [a|b]   optional
//   ...     up to three words of anything, within the clause
struct Element {
    std::vector<std::string_view> words;
    bool optional = false;
    bool gap = false;
};

struct Cue {
    std::string_view pattern;
    std::size_t target = 0;
    double weight = 0;
    unsigned flags = kPlain;
    std::vector<Element> elements;
};

struct CueSpec {
    std::string_view pattern;
    std::size_t target;
    double weight;
    unsigned flags;
};

constexpr std::size_t S = index(Intent::StockCheck);
constexpr std::size_t B = index(Intent::BookAppointment);
constexpr std::size_t M = index(Intent::MoveAppointment);
constexpr std::size_t C = index(Intent::CancelAppointment);
constexpr std::size_t H = index(Intent::StoreHours);
constexpr std::size_t A = index(Intent::StoreAddress);
constexpr std::size_t O = index(Intent::OrderStatus);
constexpr std::size_t P = index(Intent::TalkToPerson);
constexpr std::size_t X = kOther;

// Strong cues name the request (3), medium ones point at it (2), weak ones lean (1). Longer
// phrases come before the words inside them: a word already counted for an intent as part of a
// phrase does not count again for that intent.
constexpr CueSpec kCueSpecs[] = {
    // ---- stock check ----
    {"in stock", S, 3, kPlain},
    {"out of stock", S, 3, kPlain},
    {"stock|stocked|stocks|restock*", S, 2, kPlain},
    {"inventory", S, 3, kPlain},
    {"you dont have", S, 2, kNoNegation},
    {"do you carry|sell|stock|do|have", S, 2.5, kPlain},
    {"do|would you ... have", S, 2, kPlain},
    {"you|your|u|ur stocking", S, 2.5, kPlain},
    {"on the shelf|shelves", S, 2, kPlain},
    {"theres any", S, 1.5, kPlain},
    {"any more of", S, 1.5, kPlain},
    {"does ... have", S, 1.5, kPlain},
    {"have you ... got", S, 2, kPlain},
    {"got any", S, 2, kPlain},
    {"have you any", S, 2, kPlain},
    {"have any", S, 1.5, kPlain},
    {"carry|sell", S, 1.5, kPlain},
    {"available", S, 1.5, kPlain},
    {"availability", S, 2, kPlain},
    {"sold out", S, 2.5, kPlain},
    {"any ... left", S, 2, kPlain},
    {"how many of", S, 1.5, kPlain},
    {"looking|searching|hunting for", S, 1.5, kPlain},
    {"trying to find", S, 1.5, kPlain},
    {"am after", S, 1.5, kPlain},
    {"comes in", S, 2, kPlain},
    {"does it|they come in", S, 2, kPlain},
    {"still have", S, 1.5, kPlain},
    {"is|are there any", S, 1.5, kPlain},
    {"left", S, 1, kPlain},
    // ---- book ----
    {"make|get|need|want|like|schedule|arrange|request|new|book [a|an|another|one] "
     "appointment|appointments|booking|fitting|consultation|slot|reservation",
     B, 3, kPlain},
    {"get|be booked", B, 3, kPlain},
    {"put me|us down", B, 3, kPlain},
    {"free|next appointment|appointments", B, 2.5, kPlain},
    {"see a|an|the|someone stylist|specialist|optician|advisor|consultant|barber|fitter", B, 2,
     kNeedsContext},
    {"book", B, 3, kPlain},
    {"fit me|us in", B, 3, kPlain},
    {"set up a time", B, 2.5, kPlain},
    {"slot|slots free|available|open", B, 2.5, kPlain},
    {"free slot|slots", B, 2.5, kPlain},
    {"is there a slot", B, 2.5, kPlain},
    {"any appointments|slots", B, 2.5, kPlain},
    {"appointments available", B, 2.5, kPlain},
    {"schedule", B, 2.5, kPlain},
    {"reserve", B, 2, kPlain},
    {"arrange", B, 2, kPlain},
    {"set up", B, 1.5, kNeedsContext},
    {"come in for", B, 2, kNeedsContext | kSoftBook},
    {"can|could i come", B, 1, kNeedsContext | kSoftBook},
    {"come in", B, 1, kNeedsContext | kSoftBook},
    // ---- move ----
    {"reschedule|rescheduled|rescheduling", M, 3, kPlain},
    {"rebook|rebooked|rebooking", M, 3, kPlain},
    {"rearrange|rearranged|rearranging", M, 3, kPlain},
    {"postpone|postponed|postponing", M, 3, kPlain},
    {"push ... back|forward", M, 3, kPlain},
    {"bring ... forward", M, 3, kPlain},
    {"change|changing ... appointment|booking|time|date|day|fitting|it", M, 2.5, kPlain},
    {"different|another|new day|time|date", M, 2.5, kPlain},
    // "can we make it tuesday", not "(won't be able) to make it", which is a cancellation.
    {"we|i|you|u|can|could|shall make it", M, 2, kNeedsContext},
    {"move|moving|moved", M, 2.5, kNeedsContext},
    {"push", M, 1.5, kNeedsContext},
    {"change", M, 1.5, kNeedsContext},
    {"swap|switch|shift", M, 2, kNeedsContext},
    {"instead", M, 1.5, kNeedsContext},
    {"later|earlier", M, 1.5, kNeedsContext},
    // ---- cancel ----
    {"cancel*", C, 3, kPlain},
    {"call ... off", C, 3, kPlain},
    {"no longer need|want|require", C, 3, kNoNegation},
    {"dont need ... anymore", C, 3, kNoNegation},
    {"wont need", C, 2.5, kNoNegation},
    {"take me|my|us|him|her ... off", C, 2.5, kNeedsContext},
    {"delete", C, 2.5, kNeedsContext},
    {"scrap|drop", C, 2.5, kNeedsContext},
    {"no need to keep|hold", C, 3, kNoNegation},
    {"remove", C, 2, kNeedsContext},
    {"dont need", C, 1.5, kNeedsContext | kNoNegation},
    {"cant|cannot make", C, 2, kNoNegation | kSoftCancel},
    {"wont make", C, 2, kNoNegation | kSoftCancel},
    {"wont be able to", C, 2, kNoNegation | kSoftCancel},
    {"not going to be able to", C, 2, kNoNegation | kSoftCancel},
    {"unable to make|attend|come", C, 2, kSoftCancel},
    {"not coming", C, 2, kNoNegation | kSoftCancel},
    {"cant|cannot come", C, 1.5, kNoNegation | kSoftCancel},
    // ---- store hours ----
    {"opening hours|times", H, 3.5, kPlain},
    {"how late", H, 2.5, kPlain},
    {"till|until what time", H, 2.5, kPlain},
    {"what time do|does|will|are|is", H, 1.5, kPlain},
    {"open|opens|opening", H, 2, kPlain},
    {"close|closes|closing|closed|shut|shuts", H, 2, kPlain},
    {"hours", H, 2, kPlain},
    {"stop serving", H, 2, kPlain},
    // ---- store address ----
    {"address", A, 3, kPlain},
    {"where are|r you", A, 3, kPlain},
    {"where you are", A, 3, kPlain},
    {"where is the|your store|shop|branch", A, 3, kPlain},
    {"wheres the|your", A, 2, kPlain},
    {"where exactly", A, 2, kPlain},
    {"located|location", A, 3, kPlain},
    {"directions", A, 3, kPlain},
    {"how do|can|would i get to|there", A, 3, kPlain},
    {"find you", A, 2.5, kPlain},
    {"how to get to|there", A, 3, kPlain},
    {"where can i find", A, 2.5, kPlain},
    {"how far", A, 2.5, kPlain},
    {"postcode|zip|zipcode", A, 3, kPlain},
    {"post code", A, 3, kPlain},
    {"which|what street|road|floor|avenue", A, 3, kPlain},
    {"near me|you|here", A, 2.5, kPlain},
    {"near the", A, 2, kPlain},
    {"nearest|closest", A, 2.5, kPlain},
    {"park|parking", A, 2, kPlain},
    {"map", A, 2, kPlain},
    {"satnav", A, 2, kPlain},
    {"next to", A, 1.5, kPlain},
    {"high street", A, 1.5, kPlain},
    {"retail park", A, 1.5, kPlain},
    {"shopping centre|center|mall", A, 1.5, kPlain},
    {"mall", A, 1.5, kPlain},
    {"still there", A, 1, kPlain},
    {"branch", A, 1, kPlain},
    {"where do i", A, 1.5, kPlain},
    {"where", A, 1, kPlain},
    // ---- order status ----
    {"click and collect", O, 3, kPlain},
    {"my order", O, 3, kPlain},
    {"order number|status", O, 3, kPlain},
    {"special order", O, 3, kPlain},
    {"order|orders", O, 2, kPlain},
    {"ordered", O, 2.5, kPlain},
    {"deliver*", O, 2.5, kPlain},
    {"parcel|parcels|package|packages", O, 2.5, kPlain},
    {"shipped|shipping|shipment|dispatched|dispatch", O, 2.5, kPlain},
    {"track|tracking", O, 2.5, kPlain},
    {"courier", O, 2, kPlain},
    {"on its way", O, 2, kPlain},
    {"havent received|got", O, 1.5, kNoNegation},
    {"not received|arrived", O, 1.5, kNoNegation},
    {"hasnt come|arrived", O, 1.5, kNoNegation},
    {"arrived|arrive", O, 1.5, kPlain},
    {"come in yet", O, 1.5, kPlain},
    {"ready for collection|pickup", O, 2, kPlain},
    {"ready to collect|pick", O, 2, kPlain},
    {"collection", O, 1, kPlain},
    // ---- talk to a person ----
    {"speak|talk|chat to|with", P, 3, kPlain},
    {"have a word with", P, 3, kPlain},
    {"put me through", P, 3, kPlain},
    {"get|put through to", P, 3, kPlain},
    {"transfer|connect me", P, 3, kPlain},
    {"customer service|services|care", P, 3, kPlain},
    {"human|humans", P, 3, kPlain},
    {"agent|agents|operator|representative", P, 3, kPlain},
    {"member of staff", P, 2.5, kPlain},
    {"staff member", P, 2.5, kPlain},
    {"reception|receptionist", P, 2.5, kPlain},
    {"advisor|adviser", P, 2.5, kPlain},
    {"get me someone|somebody", P, 2.5, kPlain},
    {"real person|human", P, 3, kPlain},
    {"person", P, 2, kPlain},
    {"manager|supervisor", P, 2, kPlain},
    {"transfer", P, 2, kPlain},
    {"someone|somebody|anyone|anybody", P, 1, kPlain},
    // ---- other: not automated, a person should take it ----
    {"email address", X, 3, kPlain},
    {"wrong number", X, 3, kPlain},
    {"how much", X, 2.5, kPlain},
    {"price match", X, 2.5, kPlain},
    {"call me back", X, 2.5, kPlain},
    {"callback|call back", X, 2.5, kPlain},
    {"take bookings", X, 2.5, kPlain},
    {"do you deliver|ship", X, 3, kPlain},
    {"store|credit card", X, 3, kPlain},
    {"open a|an account|card", X, 3, kPlain},
    {"walk in", X, 2, kPlain},
    {"wi fi", X, 2.5, kPlain},
    {"bill|billing|invoice|charged|overcharged|refund|refunds|return|returns|exchange|"
     "complain*|complaint|complaints|feedback|review|wrong|damaged|broken|faulty|hiring|job|"
     "jobs|vacancy|vacancies|apply|pay|payment|price|prices|cost|costs|discount|voucher|coupon|"
     "loyalty|scheme|wifi|toilet|toilets|wrapping|receipt|warranty|guarantee|weather|"
     "account|password|cv|resume|sale",
     X, 2.5, kPlain},
};

// Words that make a stock question about a service rather than a product ("do you have wifi").
bool isServiceWord(std::string_view word)
{
    static constexpr std::string_view kWords[] = {
        "wifi",      "toilet",  "toilets",  "loyalty", "scheme", "wrapping", "discount",
        "discounts", "voucher", "vouchers", "parking", "lift",   "atm",      "refund",
        "refunds",   "returns", "delivery", "offers",  "fi",     "hiring",   "jobs"};
    return std::find(std::begin(kWords), std::end(kWords), word) != std::end(kWords);
}

bool isAppointmentNoun(std::string_view word)
{
    static constexpr std::string_view kWords[] = {
        "appointment", "appointments", "booking", "bookings",  "booked",  "fitting",
        "fittings",    "consultation", "slot",    "slots",     "session", "reservation",
        "test",        "visit",        "service", "alignment", "stylist", "haircut"};
    return std::find(std::begin(kWords), std::end(kWords), word) != std::end(kWords);
}

bool isTimingWord(std::string_view word)
{
    static constexpr std::string_view kWords[] = {"week", "day",  "days", "month",
                                                  "time", "date", "hour", "weekend"};
    return std::find(std::begin(kWords), std::end(kWords), word) != std::end(kWords);
}

bool isOrderNoun(std::string_view word)
{
    return word == "order" || word == "orders" || word == "delivery" || word == "parcel" ||
           word == "package";
}

bool isNegator(std::string_view word)
{
    static constexpr std::string_view kWords[] = {"not",     "dont",   "doesnt", "didnt", "never",
                                                  "cant",    "cannot", "wont",   "isnt",  "arent",
                                                  "neither", "nor",    "without"};
    return std::find(std::begin(kWords), std::end(kWords), word) != std::end(kWords);
}

std::vector<Element> compile(std::string_view pattern)
{
    std::vector<Element> elements;
    std::size_t start = 0;
    while (start < pattern.size()) {
        std::size_t end = pattern.find(' ', start);
        if (end == std::string_view::npos) {
            end = pattern.size();
        }
        std::string_view part = pattern.substr(start, end - start);
        start = end + 1;
        if (part.empty()) {
            continue;
        }
        Element element;
        if (part == "...") {
            element.gap = true;
            elements.push_back(element);
            continue;
        }
        if (part.front() == '[' && part.back() == ']') {
            element.optional = true;
            part = part.substr(1, part.size() - 2);
        }
        std::size_t from = 0;
        while (from <= part.size()) {
            const std::size_t bar = std::min(part.find('|', from), part.size());
            element.words.push_back(part.substr(from, bar - from));
            from = bar + 1;
        }
        elements.push_back(element);
    }
    return elements;
}

const std::vector<Cue>& cues()
{
    static const std::vector<Cue> compiled = [] {
        std::vector<Cue> out;
        for (const CueSpec& spec : kCueSpecs) {
            out.push_back(
                {spec.pattern, spec.target, spec.weight, spec.flags, compile(spec.pattern)});
        }
        return out;
    }();
    return compiled;
}

bool wordMatches(const Element& element, std::string_view word)
{
    for (const std::string_view alternative : element.words) {
        if (!alternative.empty() && alternative.back() == '*') {
            const std::string_view stem = alternative.substr(0, alternative.size() - 1);
            if (word.size() >= stem.size() && word.substr(0, stem.size()) == stem) {
                return true;
            }
        } else if (word == alternative) {
            return true;
        }
    }
    return false;
}

constexpr std::size_t kMaxGap = 3;

// Matches elements[e..] at token `pos`; `first` is where the match began (a clause break is
// allowed only there). On success `end` is one past the last token matched.
bool matchFrom(const std::vector<Token>& tokens, const std::vector<Element>& elements,
               std::size_t e, std::size_t pos, std::size_t first, std::size_t& end)
{
    if (e == elements.size()) {
        end = pos;
        return true;
    }
    const Element& element = elements[e];
    const auto inClause = [&](std::size_t p) {
        return p < tokens.size() && (p == first || !tokens[p].clauseStart);
    };
    if (element.gap) {
        for (std::size_t skip = 0; skip <= kMaxGap; ++skip) {
            bool ok = true;
            for (std::size_t k = pos; k < pos + skip && ok; ++k) {
                ok = inClause(k);
            }
            if (!ok) {
                break;
            }
            if (matchFrom(tokens, elements, e + 1, pos + skip, first, end)) {
                return true;
            }
        }
        return false;
    }
    if (inClause(pos) && wordMatches(element, tokens[pos].text) &&
        matchFrom(tokens, elements, e + 1, pos + 1, first, end)) {
        return true;
    }
    return element.optional && matchFrom(tokens, elements, e + 1, pos, first, end);
}

// "not" shortly before a cue, in its clause, or "instead of" / "rather than" right before it.
bool negatedAt(const std::vector<Token>& tokens, std::size_t begin)
{
    if (begin >= 2) {
        const std::string_view a = tokens[begin - 2].text;
        const std::string_view b = tokens[begin - 1].text;
        if (!tokens[begin].clauseStart && !tokens[begin - 1].clauseStart &&
            ((a == "instead" && b == "of") || (a == "rather" && b == "than"))) {
            return true;
        }
    }
    std::size_t k = begin;
    for (int back = 0; back < 3 && k > 0 && !tokens[k].clauseStart; ++back) {
        --k;
        if (isNegator(tokens[k].text)) {
            return true;
        }
    }
    return false;
}

struct Hit {
    const Cue* cue = nullptr;
    std::size_t begin = 0;
    std::size_t end = 0;
    bool negated = false;
    double counted = 0; // the weight it added, after context
};

struct Analysis {
    std::vector<Token> tokens;
    SlotScan scan;
    std::vector<Hit> hits;
    std::array<double, kTargets> scores{};
    std::vector<std::string> notes; // rules that changed the scores, for explain()
    Detection detection;
};

bool targetTakesNegation(std::size_t target)
{
    // "Aren't you open on Sunday?" is still a question about hours; "I don't want to cancel"
    // is not a cancellation.
    return target == B || target == M || target == C || target == P;
}

double strength(double score)
{
    return 1.0 - std::exp(-score / 1.6);
}

Analysis analyse(std::string_view utterance, const Reference& reference)
{
    Analysis a;
    a.tokens = tokenize(utterance);
    const std::vector<Token>& t = a.tokens;
    a.scan = scanSlots(t, reference);

    bool appointmentNoun = false;
    bool timingWord = false;
    bool orderNoun = false;
    bool serviceWord = false;
    for (const Token& token : t) {
        appointmentNoun = appointmentNoun || isAppointmentNoun(token.text);
        timingWord = timingWord || isTimingWord(token.text);
        orderNoun = orderNoun || isOrderNoun(token.text);
        serviceWord = serviceWord || isServiceWord(token.text);
    }

    // Every cue, once, at its first match that is not negated (or its first match).
    std::array<std::vector<bool>, kTargets> covered;
    for (auto& c : covered) {
        c.assign(t.size(), false);
    }
    for (const Cue& cue : cues()) {
        std::optional<Hit> chosen;
        for (std::size_t start = 0; start < t.size(); ++start) {
            std::size_t end = 0;
            if (!matchFrom(t, cue.elements, 0, start, start, end) || end <= start) {
                continue;
            }
            bool fresh = false;
            for (std::size_t k = start; k < end; ++k) {
                fresh = fresh || !covered[cue.target][k];
            }
            if (!fresh) {
                continue;
            }
            Hit hit{&cue, start, end, false, 0};
            hit.negated = (cue.flags & kNoNegation) == 0U && targetTakesNegation(cue.target) &&
                          negatedAt(t, start);
            if (!chosen || (chosen->negated && !hit.negated)) {
                chosen = hit;
            }
            if (!hit.negated) {
                break;
            }
        }
        if (!chosen) {
            continue;
        }
        if (!chosen->negated) {
            for (std::size_t k = chosen->begin; k < chosen->end; ++k) {
                covered[cue.target][k] = true;
            }
        }
        a.hits.push_back(*chosen);
    }

    // Context: is an appointment being talked about?
    bool appointmentCue = false;
    for (const Hit& hit : a.hits) {
        appointmentCue = appointmentCue || hit.cue->target == B || hit.cue->target == C;
    }
    const bool appointmentContext =
        appointmentNoun || timingWord || appointmentCue || !a.scan.moments.empty();

    double softCancel = 0;
    double softBook = 0;
    for (Hit& hit : a.hits) {
        if (hit.negated) {
            continue;
        }
        double weight = hit.cue->weight;
        if ((hit.cue->flags & kNeedsContext) != 0U && !appointmentContext) {
            weight *= 0.2; // "have you got the nintendo switch": no appointment to switch
        }
        if ((hit.cue->flags & kSoftCancel) != 0U) {
            softCancel += weight;
        }
        if ((hit.cue->flags & kSoftBook) != 0U) {
            softBook += weight;
        }
        hit.counted = weight;
        a.scores[hit.cue->target] += weight;
    }
    auto& s = a.scores;

    // "I can't make Saturday, can we do Sunday instead": the "can't make" explains a move.
    if (softCancel > 0 && s[M] > 0) {
        const double moved = std::min(softCancel, s[C]);
        s[M] += moved;
        s[C] -= moved;
        a.notes.emplace_back("soft cancel counts for the move");
    }
    // "I want to cancel my order" is not an appointment, and we do not automate it.
    if (s[C] > 0 && orderNoun && !appointmentNoun) {
        s[X] += s[C] + s[O];
        s[C] = 0;
        s[O] = 0;
        a.notes.emplace_back("cancelling an order: not automated");
    }
    if (s[S] > 0 && serviceWord) {
        s[X] += s[S];
        s[S] = 0;
        a.notes.emplace_back("a service, not a product");
    }
    if (s[S] > 0 && appointmentNoun) {
        // "do you have any appointments available": a stock question's words about a booking.
        if (s[B] + s[M] + s[C] == 0) {
            s[B] += s[S];
        }
        s[S] *= 0.3;
        a.notes.emplace_back("stock words about an appointment");
    }
    // "Can I come in at 7 tonight or will you be closed": a question about hours, not a booking.
    if (softBook > 0 && std::max({s[S], s[H], s[A], s[O], s[M], s[C]}) >= 2) {
        s[B] = std::max(0.0, s[B] - softBook);
        a.notes.emplace_back("\"come in\" yields");
    }
    if (s[S] > 0) {
        const int descriptors = (a.scan.colours.empty() ? 0 : 1) + (a.scan.size.empty() ? 0 : 1) +
                                (a.scan.quantity ? 1 : 0);
        s[S] += 0.5 * descriptors;
    }
    // An order number is evidence on its own ("where's #A-1234").
    if (!a.scan.orderNumber.empty()) {
        s[O] += s[O] > 0 ? 1.5 : 2.5;
    }
    // "my appointment" and nothing else: most likely a booking, but not sure. With a day or
    // a time ("appt for mrs khan 12/5 9:15", as staff type it) it is one.
    if (appointmentNoun && s[B] + s[M] + s[C] == 0 && s[S] + s[H] + s[A] + s[O] + s[P] == 0) {
        const bool when = std::any_of(a.scan.moments.begin(), a.scan.moments.end(),
                                      [](const Moment& m) { return m.date || m.minuteOfDay; });
        s[B] += when ? 2.0 : 1.0;
        a.notes.emplace_back(when ? "appointment word with a day or time"
                                  : "appointment word alone");
    }
    for (double& score : s) {
        score = std::max(0.0, score);
    }

    // The winner, and the runner-up that makes it less sure.
    std::size_t best = 0;
    std::size_t second = 0;
    for (std::size_t k = 1; k < kTargets; ++k) {
        if (s[k] > s[best]) {
            second = best;
            best = k;
        } else if (k != best && s[k] > s[second]) {
            second = k;
        }
    }
    if (second == best) {
        second = 0;
    }
    const double s1 = s[best];
    const double s2 = best == second ? 0.0 : s[second];
    Detection& d = a.detection;
    constexpr double kMinScore = 1.0;
    if (s1 >= kMinScore) {
        const double margin = (s1 - s2) / s1;
        const double confidence = std::min(0.99, strength(s1) * (0.55 + 0.45 * margin));
        if (best == kOther) {
            d.intent = Intent::Unknown;
            d.confidence = confidence;
        } else {
            d.intent = static_cast<Intent>(best);
            d.confidence = confidence;
        }
    } else if (s1 == 0) {
        // A bare product phrase ("rain jacket"): probably a stock question, said too briefly to
        // act on without asking.
        std::size_t content = 0;
        for (std::size_t k = 0; k < t.size(); ++k) {
            if (!isStopWord(t[k].text) && !t[k].number && !t[k].ordinal && !t[k].numeric) {
                ++content;
            }
        }
        const bool described =
            !a.scan.colours.empty() || !a.scan.size.empty() || a.scan.quantity.has_value();
        if (content >= 1 && a.scan.moments.empty() && a.scan.orderNumber.empty() &&
            (t.size() <= 4 || described)) {
            // With a colour, size or quantity ("two of the navy rain jackets in extra large")
            // it is more likely a product, still not enough to act on.
            d.intent = Intent::StockCheck;
            d.confidence = described ? 0.45 : 0.3;
            a.notes.emplace_back("bare product phrase");
        }
    }

    // The slots that belong to the intent.
    Slots& slots = d.slots;
    const bool keepAll = d.intent == Intent::Unknown || d.intent == Intent::TalkToPerson;
    if (d.intent == Intent::StockCheck || keepAll) {
        // The product phrase only for a stock question: elsewhere the leftover words are not
        // a product ("put me through" is no item).
        std::optional<std::size_t> clause;
        const auto clauses = clauseIndexes(t);
        for (const Hit& hit : a.hits) {
            if (hit.cue->target == S && !hit.negated && hit.begin < clauses.size()) {
                clause = clauses[hit.begin];
                break;
            }
        }
        if (d.intent == Intent::StockCheck) {
            slots.item = findItem(t, a.scan, clause);
        }
        slots.colours = a.scan.colours;
        slots.size = a.scan.size;
        slots.quantity = a.scan.quantity;
    }
    const auto& moments = a.scan.moments;
    if (!moments.empty() && d.intent == Intent::MoveAppointment) {
        // The one being replaced ("from tuesday", "instead of friday") or, with several, the
        // first; the target is the last one that is not being replaced.
        const Moment* from = nullptr;
        const Moment* to = nullptr;
        for (const Moment& m : moments) {
            if (m.replaced && !from) {
                from = &m;
            }
        }
        for (const Moment& m : moments) {
            if (&m != from && !m.replaced) {
                to = &m;
            }
        }
        if (!from && moments.size() >= 2 && to != &moments.front()) {
            from = &moments.front();
        }
        // One moment said before the request to move ("I'm booked in for 2 tomorrow, can I
        // make it later", "the 9th doesn't work any more, can we reschedule") is the one being
        // moved; after it ("move it to friday"), the new one.
        if (!from && moments.size() == 1) {
            std::size_t firstMove = t.size();
            for (const Hit& hit : a.hits) {
                // "could i do thursday instead": "instead" follows the new one.
                if (hit.cue->target == M && !hit.negated && hit.cue->pattern != "instead") {
                    firstMove = std::min(firstMove, hit.begin);
                }
            }
            if (moments.front().end <= firstMove && firstMove < t.size()) {
                from = &moments.front();
                to = nullptr;
            }
        }
        if (from) {
            slots.fromDate = from->date;
            slots.fromMinuteOfDay = from->minuteOfDay;
        }
        if (to) {
            slots.date = to->date;
            slots.minuteOfDay = to->minuteOfDay;
            slots.dayPart = to->dayPart;
        }
    } else if (!moments.empty() &&
               (d.intent == Intent::BookAppointment || d.intent == Intent::CancelAppointment ||
                d.intent == Intent::StoreHours || keepAll)) {
        // The first moment; later ones fill what it leaves open.
        for (const Moment& m : moments) {
            if (!slots.date) {
                slots.date = m.date;
            }
            if (!slots.minuteOfDay) {
                slots.minuteOfDay = m.minuteOfDay;
            }
            if (!slots.dayPart) {
                slots.dayPart = m.dayPart;
            }
        }
        if (slots.minuteOfDay) {
            slots.dayPart.reset();
        }
    }
    if (d.intent == Intent::OrderStatus || keepAll) {
        slots.orderNumber = a.scan.orderNumber;
    }
    return a;
}

std::string formatScore(double value)
{
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.2f", value);
    return buffer;
}

} // namespace

std::string_view toString(Intent intent)
{
    switch (intent) {
    case Intent::Unknown:
        return "unknown";
    case Intent::StockCheck:
        return "stock_check";
    case Intent::BookAppointment:
        return "book_appointment";
    case Intent::MoveAppointment:
        return "move_appointment";
    case Intent::CancelAppointment:
        return "cancel_appointment";
    case Intent::StoreHours:
        return "store_hours";
    case Intent::StoreAddress:
        return "store_address";
    case Intent::OrderStatus:
        return "order_status";
    case Intent::TalkToPerson:
        return "talk_to_person";
    }
    return "unknown";
}

const std::vector<Intent>& allIntents()
{
    static const std::vector<Intent> intents{
        Intent::Unknown,         Intent::StockCheck,        Intent::BookAppointment,
        Intent::MoveAppointment, Intent::CancelAppointment, Intent::StoreHours,
        Intent::StoreAddress,    Intent::OrderStatus,       Intent::TalkToPerson};
    return intents;
}

std::optional<Intent> intentFromString(std::string_view text)
{
    for (const Intent intent : allIntents()) {
        if (toString(intent) == text) {
            return intent;
        }
    }
    return std::nullopt;
}

Detection detect(std::string_view utterance, const Reference& reference)
{
    try {
        return analyse(utterance, reference).detection;
    } catch (...) {
        // Only allocation can fail in here; a caller we cannot understand goes to a person.
        return {};
    }
}

bool needsPerson(const Detection& detection)
{
    return detection.intent == Intent::Unknown || detection.intent == Intent::TalkToPerson ||
           detection.confidence < kHandOffBelow;
}

std::string explain(std::string_view utterance, const Reference& reference)
{
    try {
        const Analysis a = analyse(utterance, reference);
        std::string out(toString(a.detection.intent));
        out += " " + formatScore(a.detection.confidence) + ":";
        for (const Hit& hit : a.hits) {
            const std::string_view target = hit.cue->target == kOther
                                                ? std::string_view("other")
                                                : toString(static_cast<Intent>(hit.cue->target));
            out += " [";
            out += target;
            out += hit.negated ? " -" : " +";
            out += std::string(hit.cue->pattern.substr(0, 40));
            if (!hit.negated) {
                out += " " + formatScore(hit.counted);
            } else {
                out += " (negated)";
            }
            out += "]";
        }
        for (const std::string& note : a.notes) {
            out += " (" + note + ")";
        }
        return out;
    } catch (...) {
        return "unknown";
    }
}

} // namespace cc::intent
