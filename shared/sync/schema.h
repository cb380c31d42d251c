#pragma once

#include "shared/sync/value.h"
#include "shared/util/result.h"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

// What is synced: every entity a device may hold, its fields, their types and bounds, its key,
// which of the server's scopes it belongs to and what a client may do to it. The server
// validates every mutation against this table, the client creates its SQLite tables from it, and
// docs/sync-protocol.md lists it for people. Field names are the PostgreSQL column names.
namespace cc::sync {

// Bumped whenever an entity or field is added or changes meaning; part of every device's scope
// key, so a device that synced an older schema downloads its scopes again.
inline constexpr int kSchemaVersion = 4;

enum class Kind {
    Uuid,      // lower-case canonical 8-4-4-4-12
    Text,      // UTF-8, at most maxLength bytes
    Bool,      //
    Int,       // integer in [min, max]
    Real,      // finite, in [min, max]
    Timestamp, // Unix epoch milliseconds, 2000-01-01 .. 2100-01-01
    Enum,      // one of `values`
    E164,      // +<country><number>, 8-16 characters
    Date,      // YYYY-MM-DD
    Time,      // HH:MM (24 h)
};

struct FieldSpec {
    std::string_view name;
    Kind kind = Kind::Text;
    bool nullable = false;
    bool insertable = false; // a client may set it when creating the row
    bool updatable = false;  // a client may change it later
    bool required = false;   // a client must set it when creating the row
    bool freeText = false;   // people type it: card numbers are masked before it is stored
    std::uint32_t maxLength = 0;
    double min = 0;
    double max = 0;
    std::span<const std::string_view> values = {};
    std::string_view references = {}; // the entity a Uuid field points to, same organisation
};

enum class Scope {
    Organisation, // configuration every signed-in person of the organisation sees
    Store,        // operational data seen by the staff and managers of the stores it belongs to
};

struct EntitySpec {
    std::string_view name;
    std::span<const FieldSpec> fields;
    std::span<const std::string_view> key; // field names; joined with '/' into the row key
    Scope scope = Scope::Organisation;
    bool clientInsert = false;
    bool clientUpdate = false;
    bool clientDelete = false;
    bool appendOnly = false; // rows are never changed once written (notes)

    const FieldSpec* field(std::string_view fieldName) const;
};

std::span<const EntitySpec> entities();
const EntitySpec* findEntity(std::string_view name);

// Why a value or a write is refused, in words for the person who made it.
struct Refused {
    std::string reason;
};

enum class Op { Insert, Update, Delete };
std::string_view toString(Op op);

// Checks one value against its field's kind and bounds; returns the value as it is stored (card
// numbers masked in free text), or the reason it is refused.
Result<Value, Refused> checkValue(const FieldSpec& field, const Value& value);

// The row key built from the key fields' values (which must be present and non-null).
Result<std::string, Refused> makeKey(const EntitySpec& entity, const Fields& fields);
// The key fields' values from a row key, checked against their kinds.
Result<Fields, Refused> splitKey(const EntitySpec& entity, std::string_view key);

// Validates what a client asks to do to one row: that the entity allows the operation, every
// field exists, may be set that way and holds a valid value, required fields are present, and
// the key agrees with the fields. Returns the fields to store (normalised), or a reason for a
// person ("tasks.title is longer than 200 characters").
Result<Fields, Refused> validateMutation(const EntitySpec& entity, Op op, std::string_view key,
                                         const Fields& fields);

bool isUuid(std::string_view text);

} // namespace cc::sync
