#pragma once

#include "shared/intent/datetime.h"
#include "shared/intent/text.h"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// The details in an utterance, found before the intent is known: moments ("tomorrow at 3"),
// product descriptors (colour, size, quantity), an order number and the product phrase. The
// detector (intent.cpp) keeps the ones that belong to the intent it chose.
namespace cc::intent {

// One moment the caller mentioned: "tomorrow at 3", "saturday morning", "the 14th".
struct Moment {
    std::optional<LocalDate> date;
    std::optional<int> minuteOfDay;
    std::optional<DayPart> dayPart; // only when there is no minuteOfDay
    std::size_t begin = 0;          // the words it was read from: [begin, end)
    std::size_t end = 0;
    // Said as the one being replaced: "from tuesday", "monday instead of friday".
    bool replaced = false;
};

struct SlotScan {
    std::vector<Moment> moments; // in the order said
    std::string size;
    std::vector<std::string> colours;
    std::optional<int> quantity;
    std::string orderNumber;
    std::vector<bool> claimed; // per token: read as one of the above
};

// Everything but the product phrase. `tokens` from tokenize().
SlotScan scanSlots(const std::vector<Token>& tokens, const Reference& reference);

// The product phrase: the longest run of words that are none of the above, no filler and no
// request words, preferring the clause `preferredClause` (the one with the stock question). A
// bare number right after it ("navy chinos 32") becomes the size when none was said.
std::string findItem(const std::vector<Token>& tokens, SlotScan& scan,
                     std::optional<std::size_t> preferredClause);

// The clause of each token (0 for the first, +1 at every clause break).
std::vector<std::size_t> clauseIndexes(const std::vector<Token>& tokens);

// True for words that carry no product meaning ("the", "please", "do", "wondering").
bool isStopWord(std::string_view word);

// Each parser on a phrase of its own, as the unit tests use them.
struct When {
    std::optional<LocalDate> date;
    std::optional<int> minuteOfDay;
    std::optional<DayPart> dayPart;
};
When parseWhen(std::string_view phrase, const Reference& reference); // the first moment
std::string parseSize(std::string_view phrase);            // "size nine and a half" -> "9.5"
std::optional<int> parseQuantity(std::string_view phrase); // "two pairs of" -> 2
std::vector<std::string> parseColours(std::string_view phrase);
std::string parseOrderNumber(std::string_view phrase); // "order one oh two three" -> "1023"

} // namespace cc::intent
