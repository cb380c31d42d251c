#include "shared/domain/cardmask.h"

#include <QTest>

using cc::domain::luhnValid;
using cc::domain::maskCardNumbers;

class TestCardMask : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void masks_data()
    {
        QTest::addColumn<QString>("input");
        QTest::addColumn<QString>("expected");
        QTest::newRow("plain visa") << "card 4111111111111111 thanks"
                                    << "card ************1111 thanks";
        QTest::newRow("grouped spaces") << "4111 1111 1111 1111"
                                        << "**** **** **** 1111";
        QTest::newRow("grouped dashes") << "5500-0000-0000-0004"
                                        << "****-****-****-0004";
        QTest::newRow("amex 15") << "amex 3782 822463 10005."
                                 << "amex **** ****** *0005.";
        QTest::newRow("with expiry") << "4111111111111111 12/27"
                                     << "************1111 12/27";
        QTest::newRow("two cards") << "4111111111111111 or 5500000000000004"
                                   << "************1111 or ************0004";
        QTest::newRow("not luhn") << "order 4111111111111112"
                                  << "order 4111111111111112";
        QTest::newRow("phone") << "call +1 212 555 0101"
                               << "call +1 212 555 0101";
        QTest::newRow("short") << "123456789012"
                               << "123456789012";
        QTest::newRow("too long run") << "41111111111111111111111"
                                      << "41111111111111111111111";
        QTest::newRow("double space breaks") << "4111  1111 1111 1111"
                                             << "4111  1111 1111 1111";
        QTest::newRow("empty") << ""
                               << "";
        QTest::newRow("quantity before") << "qty 2 4111 1111 1111 1111"
                                         << "qty 2 **** **** **** 1111";
        QTest::newRow("expiry before") << "exp 12-27 4111111111111111"
                                       << "exp 12-27 ************1111";
        QTest::newRow("glued digits stay") << "99994111111111111111"
                                           << "99994111111111111111";
    }

    void masks()
    {
        QFETCH(QString, input);
        QFETCH(QString, expected);
        QCOMPARE(QString::fromStdString(maskCardNumbers(input.toStdString())), expected);
    }

    void luhn()
    {
        QVERIFY(luhnValid("4111111111111111"));
        QVERIFY(luhnValid("378282246310005"));
        QVERIFY(!luhnValid("4111111111111112"));
        QVERIFY(!luhnValid(""));
    }

    void maskedTextHoldsNoCardNumber()
    {
        // Whatever the text, nothing Luhn-valid of card length survives as a digit run.
        const std::string text =
            "notes: 4012888888881881, 6011 1111 1111 1117 and 3530-1113-3330-0000";
        const std::string masked = maskCardNumbers(text);
        std::string digits;
        for (char c : masked) {
            if (c >= '0' && c <= '9') {
                digits.push_back(c);
            } else if (c != ' ' && c != '-') {
                QVERIFY(digits.size() < 13 || !luhnValid(digits));
                digits.clear();
            }
        }
        QCOMPARE(
            masked,
            std::string("notes: ************1881, **** **** **** 1117 and ****-****-****-0000"));
    }
};

QTEST_APPLESS_MAIN(TestCardMask)
#include "tst_cardmask.moc"
