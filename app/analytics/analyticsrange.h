#pragma once

#include <QDate>
#include <QObject>
#include <QStringList>
#include <QtQml/qqmlregistration.h>

namespace cc::app {

// The days a dashboard shows: a preset ("Last 14 days", "This month", …, counted back from
// today on this device's calendar) or any first and last day. The report models bind `from`
// and `to`; `problem` says why a chosen range cannot be asked for (reversed, over 400 days).
class AnalyticsRange : public QObject {
    Q_OBJECT
    QML_ELEMENT

    // An index into `presets`, or -1 once days were chosen by hand.
    Q_PROPERTY(int preset READ preset WRITE setPreset NOTIFY changed)
    Q_PROPERTY(QStringList presets READ presets CONSTANT)
    Q_PROPERTY(QString from READ from WRITE setFrom NOTIFY changed) // "YYYY-MM-DD"
    Q_PROPERTY(QString to READ to WRITE setTo NOTIFY changed)
    Q_PROPERTY(QString label READ label NOTIFY changed) // "10 Nov – 23 Nov 2025"
    Q_PROPERTY(int days READ days NOTIFY changed)
    Q_PROPERTY(QString problem READ problem NOTIFY changed)

public:
    enum Preset {
        Today,
        Last7Days,
        Last14Days,
        Last30Days,
        Last90Days,
        ThisMonth,
        Last12Months,
    };
    Q_ENUM(Preset)

    explicit AnalyticsRange(QObject* parent = nullptr);

    int preset() const { return m_preset; }
    void setPreset(int preset);
    QStringList presets() const;
    QString from() const { return m_from.toString(Qt::ISODate); }
    void setFrom(const QString& from);
    QString to() const { return m_to.toString(Qt::ISODate); }
    void setTo(const QString& to);
    QString label() const;
    int days() const;
    QString problem() const;

    // The days of a preset, ending `today`.
    static std::pair<QDate, QDate> daysOf(Preset preset, QDate today);

Q_SIGNALS:
    void changed();

private:
    int m_preset = Last14Days;
    QDate m_from;
    QDate m_to;
};

} // namespace cc::app
