#pragma once

#include "app/auth/session.h"

#include <QObject>
#include <QPointer>
#include <QStringList>
#include <QTimer>
#include <QVariantList>
#include <QtQml/qqmlregistration.h>

class QNetworkReply;

namespace cc::app {

// "Do we have it?" at the counter: asks the server (POST /v1/stock), which asks the
// organisation's stock system (Shopify or Square) for an item at one of the person's stores. The
// provider may take a few seconds (the server retries): `state` says it is checking, `slow` when
// it takes a while, and cancel() stops waiting. The answer comes as lines (product, variant,
// quantity here) and the sentence the phone line would say; a failure as words that say what to
// do ("No stock system is connected — ask your admin"). QML creates it and sets `session`.
class StockCheck : public QObject {
    Q_OBJECT
    QML_ELEMENT

    Q_PROPERTY(cc::app::Session* session READ session WRITE setSession NOTIFY sessionChanged)
    Q_PROPERTY(QString storeId READ storeId WRITE setStoreId NOTIFY inputChanged)
    Q_PROPERTY(QString item READ item WRITE setItem NOTIFY inputChanged)
    Q_PROPERTY(QStringList colours READ colours WRITE setColours NOTIFY inputChanged)
    Q_PROPERTY(QString size READ size WRITE setSize NOTIFY inputChanged)
    Q_PROPERTY(State state READ state NOTIFY stateChanged)
    Q_PROPERTY(bool slow READ slow NOTIFY stateChanged)
    Q_PROPERTY(QString error READ error NOTIFY stateChanged)
    Q_PROPERTY(QString question READ question NOTIFY stateChanged)
    Q_PROPERTY(QVariantList lines READ lines NOTIFY stateChanged)
    Q_PROPERTY(QString summary READ summary NOTIFY stateChanged)
    Q_PROPERTY(bool truncated READ truncated NOTIFY stateChanged)
    Q_PROPERTY(int inStockHere READ inStockHere NOTIFY stateChanged)
    Q_PROPERTY(QString provider READ provider NOTIFY stateChanged)
    Q_PROPERTY(QString providerName READ providerName NOTIFY stateChanged)

public:
    enum class State {
        Idle,     // nothing asked yet, or cancelled
        Checking, // waiting for the server (and the provider behind it)
        Done,     // `lines` and `summary` hold the answer
        Failed,   // `error` says why, in words
    };
    Q_ENUM(State)

    explicit StockCheck(QObject* parent = nullptr);
    ~StockCheck() override;

    Session* session() const { return m_session; }
    void setSession(Session* session);
    QString storeId() const { return m_storeId; }
    void setStoreId(const QString& storeId);
    QString item() const { return m_item; }
    void setItem(const QString& item);
    QStringList colours() const { return m_colours; }
    void setColours(const QStringList& colours);
    QString size() const { return m_size; }
    void setSize(const QString& size);

    State state() const { return m_state; }
    bool slow() const { return m_slow; }
    QString error() const { return m_error; }
    // What was asked, as people say it: "rain jacket · blue · size M".
    QString question() const { return m_question; }
    // [{product, variant, sku, available, stockedHere, inStock, availability}], in stock here
    // first; `availability` reads "7 in stock", "Out of stock" or "Not sold at this store".
    QVariantList lines() const { return m_lines; }
    QString summary() const { return m_summary; }
    bool truncated() const { return m_truncated; }
    int inStockHere() const { return m_inStockHere; }
    // The stock system that answered last ("shopify", "square"); empty before any answer.
    QString provider() const { return m_provider; }
    QString providerName() const;

    // Asks the server; what is missing or wrong in the question is said in `error` at once.
    Q_INVOKABLE void check();
    // Stops waiting: back to Idle, and a late answer is dropped.
    Q_INVOKABLE void cancel();

    // Colours as the server takes them: trimmed, lower case, no empties or repeats, at most 3.
    // Empty `error` when they are fine.
    static QStringList normaliseColours(const QStringList& colours, QString* error);

    // Takes the server's answer in: what check() does with the reply (tests and demos give
    // theirs). `status` 0: no answer at all.
    void takeAnswer(int status, const QByteArray& body);

Q_SIGNALS:
    void sessionChanged();
    void inputChanged();
    void stateChanged();

private:
    void fail(const QString& error);
    void drop();
    QString questionText() const;

    QPointer<Session> m_session;
    QString m_storeId;
    QString m_item;
    QStringList m_colours;
    QString m_size;
    State m_state = State::Idle;
    bool m_slow = false;
    QString m_error;
    QString m_question;
    QVariantList m_lines;
    QString m_summary;
    bool m_truncated = false;
    int m_inStockHere = 0;
    QString m_provider;
    QPointer<QNetworkReply> m_reply;
    QTimer m_slowTimer;
};

} // namespace cc::app
