#include "shared/domain/phone.h"
#include "shared/domain/role.h"

#include <QTest>

using namespace cc::domain;

class TestPhone : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void normalizes_data()
    {
        QTest::addColumn<QString>("input");
        QTest::addColumn<QString>("country");
        QTest::addColumn<QString>("expected"); // empty: rejected
        QTest::newRow("e164 as is") << "+14155550123"
                                    << "1"
                                    << "+14155550123";
        QTest::newRow("nanp formatted") << "(415) 555-0123"
                                        << "1"
                                        << "+14155550123";
        QTest::newRow("nanp dotted with 1") << "1.415.555.0123"
                                            << "1"
                                            << "+14155550123";
        QTest::newRow("international 00") << "0044 20 7946 0018"
                                          << "1"
                                          << "+442079460018";
        QTest::newRow("plus with spaces") << "+44 20 7946 0018"
                                          << "1"
                                          << "+442079460018";
        QTest::newRow("uk national trunk 0") << "020 7946 0018"
                                             << "44"
                                             << "+442079460018";
        QTest::newRow("de national") << "030 901820"
                                     << "49"
                                     << "+4930901820";
        QTest::newRow("leading spaces") << "  +1 212 555 0101"
                                        << "1"
                                        << "+12125550101";
        QTest::newRow("nanp too short") << "555-0123"
                                        << "1"
                                        << "";
        QTest::newRow("nanp area code 0") << "(015) 555-0123"
                                          << "1"
                                          << "";
        QTest::newRow("letters") << "1-800-FLOWERS"
                                 << "1"
                                 << "";
        QTest::newRow("plus in middle") << "415+5550123"
                                        << "1"
                                        << "";
        QTest::newRow("too long") << "+1234567890123456"
                                  << "1"
                                  << "";
        QTest::newRow("country code 0") << "+0123456789"
                                        << "1"
                                        << "";
        QTest::newRow("empty") << ""
                               << "1"
                               << "";
        QTest::newRow("only separators") << " - ( ) "
                                         << "1"
                                         << "";
        QTest::newRow("bad default country") << "020 7946 0018"
                                             << "4x"
                                             << "";
    }

    void normalizes()
    {
        QFETCH(QString, input);
        QFETCH(QString, country);
        QFETCH(QString, expected);
        const auto got = normalizeE164(input.toStdString(), country.toStdString());
        if (expected.isEmpty()) {
            QVERIFY2(!got.has_value(), got.value_or("").c_str());
        } else {
            QVERIFY(got.has_value());
            QCOMPARE(QString::fromStdString(*got), expected);
        }
    }

    void rejectsHugeInput()
    {
        const std::string huge(10000, '1');
        QVERIFY(!normalizeE164(huge).has_value());
        QCOMPARE(phoneDigits(huge).size(), std::size_t{64});
    }

    void withheldCallerIds()
    {
        for (const char* withheld : {"+266696687", "+86282452253", "+8656696", "+7378742833",
                                     "anonymous", "Restricted", "", "client:ana", "4155550123"}) {
            QVERIFY2(cc::domain::isWithheldCallerId(withheld), withheld);
        }
        for (const char* number : {"+14155550123", "+2666966870", "+447700900111"}) {
            QVERIFY2(!cc::domain::isWithheldCallerId(number), number);
        }
    }

    void digits()
    {
        QCOMPARE(phoneDigits("+1 (415) 555-01"), std::string("141555501"));
        QCOMPARE(phoneDigits("abc"), std::string());
    }

    void roles()
    {
        for (Role r : {Role::Staff, Role::Manager, Role::Executive, Role::Admin}) {
            QVERIFY(roleFromString(toString(r)).value() == r);
        }
        QVERIFY(!roleFromString("root").has_value());
        QVERIFY(!roleFromString("Admin").has_value());
    }
};

QTEST_APPLESS_MAIN(TestPhone)
#include "tst_phone.moc"
