// The sync vocabulary shared by app and server: hybrid logical clocks, the synced entities and
// their validation, and the wire codec of the sync messages.

#include "shared/protocol/envelope.h"
#include "shared/sync/hlc.h"
#include "shared/sync/schema.h"

#include <QTest>

#include <set>

using namespace cc;
using sync::Field;
using sync::Fields;
using sync::Op;
using sync::Value;

namespace {

const char* kCustomer = "0b6a4c1e-8f7d-4c2a-9b1e-3d5f6a7b8c9d";
const char* kStore = "1c7b5d2f-9a8e-4d3b-8c2f-4e6a7b8c9d0e";

const sync::EntitySpec& entity(std::string_view name)
{
    const auto* e = sync::findEntity(name);
    if (e == nullptr) {
        qFatal("no entity %s", std::string(name).c_str());
    }
    return *e;
}

std::string refusal(const sync::EntitySpec& e, Op op, std::string_view key, const Fields& fields)
{
    auto r = sync::validateMutation(e, op, key, fields);
    return r ? std::string() : r.error().reason;
}

} // namespace

class TestSyncSchema : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void hlcEncodingSortsLikeStamps()
    {
        const sync::Hlc a{1700000000000, 5, "dev-a"};
        const sync::Hlc b{1700000000000, 12, "dev-a"};
        const sync::Hlc c{1700000000001, 0, "dev-a"};
        const sync::Hlc d{1700000000001, 0, "dev-b"};
        QVERIFY(a < b && b < c && c < d);
        QVERIFY(sync::encode(a) < sync::encode(b));
        QVERIFY(sync::encode(b) < sync::encode(c));
        QVERIFY(sync::encode(c) < sync::encode(d));
        QCOMPARE(sync::encode(a), std::string("1700000000000-000005-dev-a"));
        QCOMPARE(sync::parseHlc(sync::encode(d)).value(), d);
    }

    void hlcParseIsStrict()
    {
        QVERIFY(!sync::parseHlc(""));
        QVERIFY(!sync::parseHlc("1700000000000-000005-"));      // no node
        QVERIFY(!sync::parseHlc("170000000000-000005-dev"));    // 12 digits
        QVERIFY(!sync::parseHlc("1700000000000-00005-dev"));    // 5 digits
        QVERIFY(!sync::parseHlc("1700000000000-000005-dev a")); // space in node
        QVERIFY(!sync::parseHlc("+700000000000-000005-dev"));   // sign
        QVERIFY(!sync::parseHlc("1700000000000-000005-" + std::string(65, 'x')));
        QVERIFY(sync::parseHlc("1700000000000-000005-" + std::string(64, 'x')));
    }

    void hlcClockIsMonotonicAndFollowsOthers()
    {
        sync::HlcClock clock("dev-a");
        const auto first = clock.now(1000);
        const auto second = clock.now(1000); // same millisecond: the counter orders them
        const auto third = clock.now(900);   // the wall clock went back: still later
        QVERIFY(first < second && second < third);
        QCOMPARE(third.wallMs, std::int64_t(1000));

        // A stamp seen from elsewhere moves the clock past it.
        QVERIFY(clock.receive({5000, 7, "dev-b"}, 1000, 10000));
        const auto after = clock.now(1000);
        QVERIFY(after > sync::Hlc({5000, 7, "dev-b"}));

        // One too far ahead of the physical clock is not followed.
        QVERIFY(!clock.receive({999999, 0, "dev-c"}, 1000, 10000));
        QVERIFY(clock.now(1000).wallMs < 999999);
    }

    void everyEntityIsWellFormed()
    {
        std::set<std::string_view> names;
        for (const auto& e : sync::entities()) {
            QVERIFY2(names.insert(e.name).second, "entity names are unique");
            QVERIFY(!e.key.empty());
            for (const auto k : e.key) {
                QVERIFY2(e.field(k) != nullptr, "key fields are fields");
                QVERIFY(!e.field(k)->nullable);
            }
            for (const auto& f : e.fields) {
                if (!f.references.empty()) {
                    QVERIFY2(sync::findEntity(f.references) != nullptr, "references resolve");
                }
                if (f.required) {
                    QVERIFY(f.insertable);
                }
            }
            if (e.clientInsert) {
                for (const auto k : e.key) {
                    QVERIFY2(e.field(k)->insertable, "a client inserting must set the key");
                }
            }
        }
        // Configuration is read-only to devices; nothing of sign-in is synced.
        QVERIFY(!entity("users").clientInsert && !entity("users").clientUpdate);
        QVERIFY(entity("users").field("password_hash") == nullptr);
        QVERIFY(entity("call_notes").appendOnly);
        QVERIFY(!entity("call_notes").clientUpdate && !entity("call_notes").clientDelete);
    }

    void validInsertIsNormalised()
    {
        const Fields fields{{"id", Value{std::string(kCustomer)}},
                            {"display_name", Value{std::string("Card 4111 1111 1111 1111 here")}},
                            {"sms_consent", Value{true}}};
        auto r = sync::validateMutation(entity("customers"), Op::Insert, kCustomer, fields);
        QVERIFY(r);
        QCOMPARE(std::get<std::string>(*sync::find(*r, "display_name")),
                 std::string("Card **** **** **** 1111 here"));
    }

    void refusalsSayWhy_data()
    {
        QTest::addColumn<QString>("entityName");
        QTest::addColumn<int>("op");
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("field");
        QTest::addColumn<QString>("value"); // "null", "true", "#123" (integer) or text
        QTest::addColumn<QString>("expected");

        const QString c = QString::fromLatin1(kCustomer);
        QTest::newRow("unknown field") << "customers" << 1 << c << "favourite_colour"
                                       << "red"
                                       << "has no field";
        QTest::newRow("config is read-only") << "locations" << 1 << c << "name"
                                             << "x"
                                             << "cannot be changed that way";
        QTest::newRow("notes are append-only") << "call_notes" << 1 << c << "body"
                                               << "x"
                                               << "cannot be changed that way";
        QTest::newRow("wrong type") << "customers" << 1 << c << "sms_consent"
                                    << "yes"
                                    << "must be true or false";
        QTest::newRow("too long") << "customers" << 1 << c << "display_name"
                                  << QString(201, QLatin1Char('a')) << "longer than 200";
        QTest::newRow("not nullable") << "customers" << 1 << c << "display_name"
                                      << "null"
                                      << "may not be empty";
        QTest::newRow("bad enum") << "tasks" << 1 << c << "status"
                                  << "maybe"
                                  << "must be one of: open, done, cancelled";
        QTest::newRow("bad timestamp") << "tasks" << 1 << c << "due_at"
                                       << "#12"
                                       << "milliseconds";
        QTest::newRow("bad key") << "customers" << 1 << "not-a-uuid"
                                 << "display_name"
                                 << "x"
                                 << "lower-case UUID";
        QTest::newRow("key of another shape") << "customer_phones" << 2 << c << ""
                                              << ""
                                              << "does not have the form";
        QTest::newRow("not updatable") << "tasks" << 1 << c << "kind"
                                       << "callback"
                                       << "cannot be changed";
        QTest::newRow("control character")
            << "customers" << 1 << c << "display_name"
            << QStringLiteral("a") + QChar(1) + QStringLiteral("b") << "control character";
        QTest::newRow("nul byte") << "customers" << 1 << c << "display_name"
                                  << QStringLiteral("a") + QChar(0) + QStringLiteral("b") << "NUL";
    }

    void refusalsSayWhy()
    {
        QFETCH(QString, entityName);
        QFETCH(int, op);
        QFETCH(QString, key);
        QFETCH(QString, field);
        QFETCH(QString, value);
        QFETCH(QString, expected);
        Fields fields;
        if (!field.isEmpty()) {
            Value v;
            if (value == QLatin1String("null")) {
                v = sync::Null{};
            } else if (value.startsWith(QLatin1Char('#'))) {
                v = std::int64_t(value.mid(1).toLongLong());
            } else {
                v = value.toStdString();
            }
            fields.push_back({field.toStdString(), v});
        }
        const std::string why = refusal(entity(entityName.toStdString()), static_cast<Op>(op),
                                        key.toStdString(), fields);
        QVERIFY2(why.find(expected.toStdString()) != std::string::npos, why.c_str());
    }

    void insertNeedsRequiredFieldsAndAMatchingKey()
    {
        const std::string other = "2d8c6e3a-0b9f-4e4c-9d3a-5f7b8c9d0e1f";
        Fields fields{{"id", Value{std::string(kCustomer)}}};
        QVERIFY(refusal(entity("customers"), Op::Insert, kCustomer, fields).find("required") !=
                std::string::npos);
        fields.push_back({"display_name", Value{std::string("Ann")}});
        QVERIFY(refusal(entity("customers"), Op::Insert, other, fields).find("does not match") !=
                std::string::npos);
        QVERIFY(refusal(entity("customers"), Op::Insert, kCustomer, fields).empty());
        // Composite keys.
        const Fields phone{{"customer_id", Value{std::string(kCustomer)}},
                           {"number", Value{std::string("+15551234567")}}};
        QVERIFY(refusal(entity("customer_phones"), Op::Insert,
                        std::string(kCustomer) + "/+15551234567", phone)
                    .empty());
        QVERIFY(!refusal(entity("customer_phones"), Op::Insert,
                         std::string(kCustomer) + "/+15557654321", phone)
                     .empty());
        // A task may only point at stores by id; location is required.
        const Fields task{{"id", Value{std::string(kCustomer)}},
                          {"location_id", Value{std::string(kStore)}},
                          {"kind", Value{std::string("callback")}},
                          {"title", Value{std::string("Call back about the order")}},
                          {"due_at", Value{std::int64_t(1800000000000)}}};
        QVERIFY(refusal(entity("tasks"), Op::Insert, kCustomer, task).empty());
    }

    void deleteCarriesNoFields()
    {
        const std::string key = std::string(kCustomer) + "/+15551234567";
        QVERIFY(refusal(entity("customer_phones"), Op::Delete, key, {}).empty());
        QVERIFY(!refusal(entity("customer_phones"), Op::Delete, key,
                         {{"label", Value{std::string("x")}}})
                     .empty());
        QVERIFY(!refusal(entity("customers"), Op::Delete, kCustomer, {}).empty());
    }

    void syncMessagesRoundTrip()
    {
        protocol::Changes changes;
        changes.from = 5;
        changes.to = 9;
        changes.reset = true;
        changes.remaining = 120;
        changes.scopeKey = "s1-abc";
        changes.rows.push_back({"customers", kCustomer, 7, false,
                                Fields{{"id", Value{std::string(kCustomer)}},
                                       {"display_name", Value{std::string("Ann")}},
                                       {"email", Value{sync::Null{}}},
                                       {"sms_consent", Value{true}},
                                       {"latitude", Value{51.5}},
                                       {"created_at", Value{std::int64_t(1700000000000)}}},
                                "3e9d7f4b-1c0a-4f5d-8e4b-6a8c9d0e1f2a", "1700000000000-000001-d"});
        changes.rows.push_back({"tasks", kStore, 9, true, {}, "", ""});
        const protocol::Envelope env{1, "", changes};
        auto decoded = protocol::decode(protocol::encode(env));
        QVERIFY2(decoded, decoded ? "" : decoded.error().message.c_str());
        QVERIFY(decoded.value() == env);

        protocol::Push push;
        push.mutations.push_back({"3e9d7f4b-1c0a-4f5d-8e4b-6a8c9d0e1f2a", "customers", kCustomer,
                                  Op::Update, Fields{{"display_name", Value{std::string("B")}}},
                                  "1700000000000-000002-d"});
        push.mutations.push_back({"4f0e8a5c-2d1b-4a6e-9f5c-7b9d0e1f2a3b",
                                  "customer_phones",
                                  std::string(kCustomer) + "/+15551234567",
                                  Op::Delete,
                                  {},
                                  "1700000000000-000003-d"});
        const protocol::Envelope pushEnv{1, "p-1", push};
        auto pushDecoded = protocol::decode(protocol::encode(pushEnv));
        QVERIFY(pushDecoded && pushDecoded.value() == pushEnv);

        protocol::PushResult result;
        result.results.push_back({"a", protocol::MutationStatus::Applied, 12, "", {"email"}});
        result.results.push_back({"b", protocol::MutationStatus::Rejected, 0, "no such row", {}});
        result.hlc = "1700000000000-000004-server";
        const protocol::Envelope resultEnv{1, "p-1", result};
        auto resultDecoded = protocol::decode(protocol::encode(resultEnv));
        QVERIFY(resultDecoded && resultDecoded.value() == resultEnv);

        for (const protocol::Body& b : {protocol::Body{protocol::Subscribe{42, "s1-x"}},
                                        protocol::Body{protocol::Pull{43}}}) {
            const protocol::Envelope e{1, "x", b};
            auto d = protocol::decode(protocol::encode(e));
            QVERIFY(d && d.value() == e);
        }
    }

    void badSyncMessagesAreRefused_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("expected");
        QTest::newRow("negative cursor") << R"({"v":1,"type":"subscribe","body":{"cursor":-1}})"
                                         << "must not be negative";
        QTest::newRow("row outside range")
            << R"({"v":1,"type":"changes","body":{"from":5,"to":6,"rows":[{"e":"x","k":"y","v":9,"d":true}]}})"
            << "outside";
        QTest::newRow("to before from")
            << R"({"v":1,"type":"changes","body":{"from":9,"to":2,"rows":[]}})"
            << "before";
        QTest::newRow("unknown op")
            << R"({"v":1,"type":"push","body":{"mutations":[{"id":"a","e":"x","k":"y","op":"upsert","h":"z"}]}})"
            << "insert, update or delete";
        QTest::newRow("object value")
            << R"({"v":1,"type":"push","body":{"mutations":[{"id":"a","e":"x","k":"y","op":"update","f":{"a":{}},"h":"z"}]}})"
            << "null, true/false, a number or text";
        QTest::newRow("fields not an object")
            << R"({"v":1,"type":"push","body":{"mutations":[{"id":"a","e":"x","k":"y","op":"update","f":[],"h":"z"}]}})"
            << "must be an object";
        QTest::newRow("mutations not an array")
            << R"({"v":1,"type":"push","body":{"mutations":{}}})"
            << "must be an array";
    }

    void badSyncMessagesAreRefused()
    {
        QFETCH(QString, text);
        QFETCH(QString, expected);
        const std::string utf8 = text.toStdString();
        auto decoded = protocol::decode(utf8);
        QVERIFY(!decoded);
        QVERIFY2(decoded.error().message.find(expected.toStdString()) != std::string::npos,
                 decoded.error().message.c_str());
    }

    void tooManyMutationsAreRefused()
    {
        std::string text = R"({"v":1,"type":"push","body":{"mutations":[)";
        for (std::size_t i = 0; i <= protocol::kMaxMutationsPerPush; ++i) {
            text +=
                std::string(i ? "," : "") + R"({"id":"a","e":"x","k":"y","op":"delete","h":"z"})";
        }
        text += "]}}";
        auto decoded = protocol::decode(text);
        QVERIFY(!decoded);
        QVERIFY(decoded.error().message.find("more than") != std::string::npos);
    }
};

QTEST_GUILESS_MAIN(TestSyncSchema)
#include "tst_syncschema.moc"
