#include "shared/sync/schema.h"

#include "shared/domain/cardmask.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace cc::sync {
namespace {

// Field flags, to keep the table below readable.
enum : unsigned {
    N = 1u << 0, // nullable
    I = 1u << 1, // insertable
    U = 1u << 2, // updatable
    R = 1u << 3, // required on insert
    F = 1u << 4, // free text
};

constexpr FieldSpec field(std::string_view name, Kind kind, unsigned flags,
                          std::uint32_t maxLength = 0, double min = 0, double max = 0,
                          std::span<const std::string_view> values = {},
                          std::string_view references = {})
{
    return FieldSpec{name,
                     kind,
                     (flags & N) != 0,
                     (flags & I) != 0,
                     (flags & U) != 0,
                     (flags & R) != 0,
                     (flags & F) != 0,
                     maxLength,
                     min,
                     max,
                     values,
                     references};
}
constexpr FieldSpec text(std::string_view name, unsigned flags, std::uint32_t maxLength)
{
    return field(name, Kind::Text, flags, maxLength);
}
constexpr FieldSpec uuid(std::string_view name, unsigned flags, std::string_view references = {})
{
    return field(name, Kind::Uuid, flags, 0, 0, 0, {}, references);
}
constexpr FieldSpec timestamp(std::string_view name, unsigned flags)
{
    return field(name, Kind::Timestamp, flags);
}
constexpr FieldSpec oneOf(std::string_view name, unsigned flags,
                          std::span<const std::string_view> values)
{
    return field(name, Kind::Enum, flags, 0, 0, 0, values);
}

constexpr std::array<std::string_view, 1> kById{"id"};

constexpr std::array kRoles = {std::string_view("admin"), std::string_view("executive"),
                               std::string_view("manager"), std::string_view("staff")};
constexpr std::array kDirections = {std::string_view("inbound"), std::string_view("outbound")};
constexpr std::array kCallStatuses = {
    std::string_view("ringing"),   std::string_view("in_progress"), std::string_view("completed"),
    std::string_view("abandoned"), std::string_view("missed"),      std::string_view("voicemail"),
    std::string_view("callback"),  std::string_view("self_served")};
constexpr std::array kTaskKinds = {std::string_view("callback"), std::string_view("follow_up")};
constexpr std::array kTaskStatuses = {std::string_view("open"), std::string_view("done"),
                                      std::string_view("cancelled")};
// requested: asked for on the phone line (or by a customer) and waiting for staff to confirm it
// by setting booked.
constexpr std::array kAppointmentStatuses = {
    std::string_view("requested"), std::string_view("booked"), std::string_view("cancelled"),
    std::string_view("done"), std::string_view("no_show")};
// Where the store's calendar (Google Calendar) stands with the appointment: none (no calendar
// connected), pending (to be written), synced, failed (retried; the error says why).
constexpr std::array kCalendarStates = {std::string_view("none"), std::string_view("pending"),
                                        std::string_view("synced"), std::string_view("failed")};

// Configuration (read-only to devices; admins change it through the admin API).
constexpr std::array kOrganisationFields = {
    uuid("id", 0),
    text("name", 0, 200),
    text("default_country_code", 0, 3),
};
constexpr std::array kRegionFields = {
    uuid("id", 0),
    text("name", 0, 200),
};
constexpr std::array kLocationFields = {
    uuid("id", 0),
    uuid("region_id", N, "regions"),
    text("code", 0, 32),
    text("name", 0, 200),
    text("timezone", 0, 64),
    field("main_phone", Kind::E164, 0),
    text("address", 0, 500),
    field("latitude", Kind::Real, N, 0, -90, 90),
    field("longitude", Kind::Real, N, 0, -180, 180),
};
constexpr std::array<std::string_view, 2> kHoursKey{"location_id", "weekday"};
constexpr std::array kHoursFields = {
    uuid("location_id", 0, "locations"),
    field("weekday", Kind::Int, 0, 0, 1, 7),
    field("opens_at", Kind::Time, 0),
    field("closes_at", Kind::Time, 0),
};
constexpr std::array<std::string_view, 2> kHolidayKey{"location_id", "day"};
constexpr std::array kHolidayFields = {
    uuid("location_id", 0, "locations"),
    field("day", Kind::Date, 0),
    text("name", 0, 200),
};
constexpr std::array<std::string_view, 1> kPhoneNumberKey{"number"};
constexpr std::array kPhoneNumberFields = {
    field("number", Kind::E164, 0),
    uuid("location_id", 0, "locations"),
    text("label", 0, 100),
};
constexpr std::array kUserFields = {
    uuid("id", 0),
    text("email", 0, 254),
    text("display_name", 0, 200),
    oneOf("role", 0, kRoles),
    uuid("home_location_id", N, "locations"),
    text("skills", 0, 2000), // a JSON array of skill names
    field("active", Kind::Bool, 0),
};
constexpr std::array<std::string_view, 2> kUserLocationKey{"user_id", "location_id"};
constexpr std::array kUserLocationFields = {
    uuid("user_id", 0, "users"),
    uuid("location_id", 0, "locations"),
};

// Store data: staff and managers create and change it, offline too.
constexpr std::array kCustomerFields = {
    uuid("id", I | R),
    text("display_name", I | U | R | F, 200),
    text("email", N | I | U, 254),
    field("marketing_consent", Kind::Bool, I | U),
    field("sms_consent", Kind::Bool, I | U),
    timestamp("created_at", I),
};
constexpr std::array<std::string_view, 2> kCustomerPhoneKey{"customer_id", "number"};
constexpr std::array kCustomerPhoneFields = {
    uuid("customer_id", I | R, "customers"),
    field("number", Kind::E164, I | R),
    text("label", I | F, 50),
};
constexpr std::array kCallFields = {
    uuid("id", 0),
    uuid("location_id", 0, "locations"),
    uuid("customer_id", N | U, "customers"),
    oneOf("direction", 0, kDirections),
    text("from_number", 0, 32),
    text("to_number", 0, 32),
    timestamp("started_at", 0),
    timestamp("answered_at", N),
    timestamp("ended_at", N),
    oneOf("status", 0, kCallStatuses),
    uuid("handled_by", N, "users"),
    text("disposition", N | U | F, 64),
    uuid("offered_to", N, "users"), // whose phone is ringing now
    text("need", N, 64),            // what the caller asked for (IVR choice or intent)
    text("routing_reason", N, 300), // the last routing decision, in words
    field("recording_seconds", Kind::Int, N, 0, 0, 86400),
    uuid("answered_location_id", N), // the answering person's store (another on overflow)
    field("wrap_up_ms", Kind::Int, N, 0, 0, 86400000), // the wrap-up after it, once over
    timestamp("repeated_at", N), // when the same number called next (first-contact resolution)
};
constexpr std::array kNoteFields = {
    uuid("id", I | R),
    uuid("customer_id", N | I, "customers"),
    uuid("call_id", N | I, "calls"),
    uuid("location_id", I | R, "locations"),
    uuid("author_id", N, "users"), // the server sets it to the writer
    text("body", I | R | F, 4000),
    timestamp("created_at", I),
};
constexpr std::array kTaskFields = {
    uuid("id", I | R),
    uuid("location_id", I | R, "locations"),
    uuid("customer_id", N | I | U, "customers"),
    uuid("call_id", N | I, "calls"),
    oneOf("kind", I | R, kTaskKinds),
    text("title", I | U | R | F, 200),
    timestamp("due_at", I | U | R),
    uuid("assigned_to", N | I | U, "users"),
    oneOf("status", I | U, kTaskStatuses),
    timestamp("created_at", I),
    timestamp("completed_at", N | I | U),
    timestamp("escalated_at", N), // overdue: flagged for the store's managers
};
constexpr std::array kAppointmentFields = {
    uuid("id", I | R),
    uuid("location_id", I | R, "locations"),
    uuid("customer_id", N | I | U, "customers"),
    uuid("staff_id", N | I | U, "users"),
    timestamp("starts_at", I | U | R),
    timestamp("ends_at", I | U | R),
    text("purpose", I | U | F, 200),
    oneOf("status", I | U, kAppointmentStatuses),
    timestamp("created_at", I),
    oneOf("calendar_state", N, kCalendarStates), // set by the server's calendar upkeep
    text("calendar_error", N, 300),
};

// Set by the server only: the person's own choice goes through PUT /v1/me/presence (it means
// nothing offline, so it is not queued), call events set the rest.
constexpr std::array<std::string_view, 1> kPresenceKey{"user_id"};
constexpr std::array kPresenceStatuses = {std::string_view("available"), std::string_view("away")};
constexpr std::array kPresenceActivities = {std::string_view("idle"), std::string_view("ringing"),
                                            std::string_view("on_call"),
                                            std::string_view("wrap_up")};
constexpr std::array kPresenceFields = {
    uuid("user_id", 0, "users"),
    oneOf("status", 0, kPresenceStatuses),
    oneOf("activity", 0, kPresenceActivities),
    uuid("call_id", N, "calls"),
    timestamp("activity_until", N),
    timestamp("paused_until", N),
    timestamp("idle_since", 0),
    field("online", Kind::Bool, 0),
};

const std::array kEntities = {
    EntitySpec{"organisations", kOrganisationFields, kById, Scope::Organisation},
    EntitySpec{"regions", kRegionFields, kById, Scope::Organisation},
    EntitySpec{"locations", kLocationFields, kById, Scope::Organisation},
    EntitySpec{"location_hours", kHoursFields, kHoursKey, Scope::Organisation},
    EntitySpec{"location_holidays", kHolidayFields, kHolidayKey, Scope::Organisation},
    EntitySpec{"phone_numbers", kPhoneNumberFields, kPhoneNumberKey, Scope::Organisation},
    EntitySpec{"users", kUserFields, kById, Scope::Organisation},
    EntitySpec{"user_locations", kUserLocationFields, kUserLocationKey, Scope::Organisation},
    EntitySpec{"customers", kCustomerFields, kById, Scope::Store, true, true, false},
    EntitySpec{"customer_phones", kCustomerPhoneFields, kCustomerPhoneKey, Scope::Store, true,
               false, true},
    EntitySpec{"calls", kCallFields, kById, Scope::Store, false, true, false},
    EntitySpec{"call_notes", kNoteFields, kById, Scope::Store, true, false, false, true},
    EntitySpec{"tasks", kTaskFields, kById, Scope::Store, true, true, false},
    EntitySpec{"appointments", kAppointmentFields, kById, Scope::Store, true, true, false},
    EntitySpec{"presence", kPresenceFields, kPresenceKey, Scope::Store},
};

constexpr std::int64_t kMinTimestampMs = 946'684'800'000;   // 2000-01-01T00:00:00Z
constexpr std::int64_t kMaxTimestampMs = 4'102'444'800'000; // 2100-01-01T00:00:00Z

bool allDigits(std::string_view s)
{
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int number(std::string_view s)
{
    int n = 0;
    for (char c : s) {
        n = n * 10 + (c - '0');
    }
    return n;
}

bool isDate(std::string_view s)
{
    if (s.size() != 10 || s[4] != '-' || s[7] != '-' || !allDigits(s.substr(0, 4)) ||
        !allDigits(s.substr(5, 2)) || !allDigits(s.substr(8, 2))) {
        return false;
    }
    const int month = number(s.substr(5, 2));
    const int day = number(s.substr(8, 2));
    return number(s.substr(0, 4)) >= 1900 && month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

bool isTime(std::string_view s)
{
    return s.size() == 5 && s[2] == ':' && allDigits(s.substr(0, 2)) && allDigits(s.substr(3, 2)) &&
           number(s.substr(0, 2)) < 24 && number(s.substr(3, 2)) < 60;
}

bool isE164(std::string_view s)
{
    return s.size() >= 8 && s.size() <= 16 && s[0] == '+' && s[1] >= '1' && s[1] <= '9' &&
           allDigits(s.substr(1));
}

std::string where(const FieldSpec& field)
{
    return std::string(field.name);
}

} // namespace

const FieldSpec* EntitySpec::field(std::string_view fieldName) const
{
    const auto it = std::find_if(fields.begin(), fields.end(),
                                 [&](const FieldSpec& f) { return f.name == fieldName; });
    return it == fields.end() ? nullptr : &*it;
}

std::span<const EntitySpec> entities()
{
    return kEntities;
}

const EntitySpec* findEntity(std::string_view name)
{
    const auto it = std::find_if(kEntities.begin(), kEntities.end(),
                                 [&](const EntitySpec& e) { return e.name == name; });
    return it == kEntities.end() ? nullptr : &*it;
}

std::string_view toString(Op op)
{
    switch (op) {
    case Op::Insert:
        return "insert";
    case Op::Update:
        return "update";
    case Op::Delete:
        return "delete";
    }
    return "insert";
}

bool isUuid(std::string_view s)
{
    if (s.size() != 36) {
        return false;
    }
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') {
                return false;
            }
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return true;
}

Result<Value, Refused> checkValue(const FieldSpec& field, const Value& value)
{
    if (isNull(value)) {
        if (!field.nullable) {
            return Refused{where(field) + " may not be empty"};
        }
        return value;
    }
    switch (field.kind) {
    case Kind::Bool:
        if (!std::holds_alternative<bool>(value)) {
            return Refused{where(field) + " must be true or false"};
        }
        return value;
    case Kind::Int: {
        const auto* n = std::get_if<std::int64_t>(&value);
        if (n == nullptr || static_cast<double>(*n) < field.min ||
            static_cast<double>(*n) > field.max) {
            return Refused{where(field) + " must be a whole number from " +
                           std::to_string(static_cast<long long>(field.min)) + " to " +
                           std::to_string(static_cast<long long>(field.max))};
        }
        return value;
    }
    case Kind::Real: {
        double d = 0;
        if (const auto* n = std::get_if<std::int64_t>(&value)) {
            d = static_cast<double>(*n);
        } else if (const auto* r = std::get_if<double>(&value)) {
            d = *r;
        } else {
            return Refused{where(field) + " must be a number"};
        }
        if (!std::isfinite(d) || d < field.min || d > field.max) {
            return Refused{where(field) + " is out of range"};
        }
        return Value{d};
    }
    case Kind::Timestamp: {
        const auto* n = std::get_if<std::int64_t>(&value);
        if (n == nullptr || *n < kMinTimestampMs || *n > kMaxTimestampMs) {
            return Refused{where(field) +
                           " must be a time in milliseconds since 1970 (years 2000-2100)"};
        }
        return value;
    }
    default:
        break;
    }
    const auto* s = std::get_if<std::string>(&value);
    if (s == nullptr) {
        return Refused{where(field) + " must be text"};
    }
    switch (field.kind) {
    case Kind::Uuid:
        if (!isUuid(*s)) {
            return Refused{where(field) + " must be a lower-case UUID"};
        }
        return value;
    case Kind::Enum:
        if (std::find(field.values.begin(), field.values.end(), *s) == field.values.end()) {
            std::string allowed;
            for (const auto v : field.values) {
                allowed += (allowed.empty() ? "" : ", ") + std::string(v);
            }
            return Refused{where(field) + " must be one of: " + allowed};
        }
        return value;
    case Kind::E164:
        if (!isE164(*s)) {
            return Refused{where(field) + " must be a phone number in E.164 form (+15551234567)"};
        }
        return value;
    case Kind::Date:
        if (!isDate(*s)) {
            return Refused{where(field) + " must be a date (YYYY-MM-DD)"};
        }
        return value;
    case Kind::Time:
        if (!isTime(*s)) {
            return Refused{where(field) + " must be a time of day (HH:MM)"};
        }
        return value;
    case Kind::Text: {
        if (s->size() > field.maxLength) {
            return Refused{where(field) + " is longer than " + std::to_string(field.maxLength) +
                           " characters"};
        }
        if (s->find('\0') != std::string::npos) {
            return Refused{where(field) + " contains a NUL character"};
        }
        // Other control characters have no place in a name or a note (and cost six bytes each
        // on the wire); tabs and line breaks are kept.
        if (std::any_of(s->begin(), s->end(), [](char c) {
                const auto u = static_cast<unsigned char>(c);
                return (u < 0x20 && c != '\t' && c != '\n' && c != '\r') || u == 0x7f;
            })) {
            return Refused{where(field) + " contains a control character"};
        }
        if (field.freeText) {
            return Value{domain::maskCardNumbers(*s)};
        }
        return value;
    }
    default:
        return Refused{where(field) + " has an unknown type"};
    }
}

Result<std::string, Refused> makeKey(const EntitySpec& entity, const Fields& fields)
{
    std::string key;
    for (const auto name : entity.key) {
        const Value* v = find(fields, name);
        if (v == nullptr || isNull(*v)) {
            return Refused{"the key field " + std::string(name) + " is missing"};
        }
        if (!key.empty()) {
            key += '/';
        }
        if (const auto* s = std::get_if<std::string>(v)) {
            key += *s;
        } else if (const auto* n = std::get_if<std::int64_t>(v)) {
            key += std::to_string(*n);
        } else {
            return Refused{"the key field " + std::string(name) + " has the wrong type"};
        }
    }
    return key;
}

Result<Fields, Refused> splitKey(const EntitySpec& entity, std::string_view key)
{
    Fields out;
    for (std::size_t i = 0; i < entity.key.size(); ++i) {
        const auto slash = key.find('/');
        const bool last = i + 1 == entity.key.size();
        if (last != (slash == std::string_view::npos)) {
            return Refused{std::string("the key \"") + std::string(key.substr(0, 80)) +
                           "\" does not have the form of a " + std::string(entity.name) + " key"};
        }
        const std::string_view part = last ? key : key.substr(0, slash);
        key = last ? std::string_view{} : key.substr(slash + 1);
        const FieldSpec* spec = entity.field(entity.key[i]);
        Value value;
        if (spec->kind == Kind::Int) {
            if (!allDigits(part) || part.size() > 9) {
                return Refused{"the key field " + std::string(spec->name) + " must be a number"};
            }
            value = static_cast<std::int64_t>(number(part));
        } else {
            value = std::string(part);
        }
        auto checked = checkValue(*spec, value);
        if (!checked) {
            return Refused{"key: " + checked.error().reason};
        }
        out.push_back({std::string(spec->name), std::move(checked).value()});
    }
    return out;
}

Result<Fields, Refused> validateMutation(const EntitySpec& entity, Op op, std::string_view key,
                                         const Fields& fields)
{
    const std::string name(entity.name);
    if ((op == Op::Insert && !entity.clientInsert) || (op == Op::Update && !entity.clientUpdate) ||
        (op == Op::Delete && !entity.clientDelete)) {
        return Refused{name + " cannot be changed that way (" + std::string(toString(op)) +
                       ") from a device"};
    }
    auto keyFields = splitKey(entity, key);
    if (!keyFields) {
        return Refused{name + ": " + keyFields.error().reason};
    }
    if (op == Op::Delete) {
        if (!fields.empty()) {
            return Refused{name + ": a delete carries no fields"};
        }
        return std::move(keyFields).value();
    }
    if (fields.empty()) {
        return Refused{name + ": nothing to change"};
    }
    Fields out;
    out.reserve(fields.size());
    for (const auto& f : fields) {
        const FieldSpec* spec = entity.field(f.name);
        if (spec == nullptr) {
            return Refused{name + " has no field \"" + f.name.substr(0, 64) + "\""};
        }
        if (find(out, f.name) != nullptr) {
            return Refused{name + "." + f.name + " is given twice"};
        }
        const bool allowed = op == Op::Insert ? spec->insertable : spec->updatable;
        if (!allowed) {
            return Refused{name + "." + f.name + " cannot be " +
                           (op == Op::Insert ? "set on a new row" : "changed") + " from a device"};
        }
        auto checked = checkValue(*spec, f.value);
        if (!checked) {
            return Refused{name + "." + checked.error().reason};
        }
        out.push_back({f.name, std::move(checked).value()});
    }
    if (op == Op::Insert) {
        for (const auto& spec : entity.fields) {
            if (spec.required && find(out, spec.name) == nullptr) {
                return Refused{name + "." + std::string(spec.name) + " is required"};
            }
        }
        auto built = makeKey(entity, out);
        if (!built || *built != key) {
            return Refused{name + ": the key does not match the row's key fields"};
        }
    } else {
        for (const auto& k : entity.key) {
            if (find(out, k) != nullptr) {
                return Refused{name + "." + std::string(k) +
                               " is part of the key and cannot change"};
            }
        }
    }
    return out;
}

} // namespace cc::sync
