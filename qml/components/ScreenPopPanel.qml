import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts
import CallCommander.Core

// The caller card: who is calling the person (or is on the line with them, or just was), their
// history from every store, and after the call how it ended and a note. Everything it shows
// comes from the ScreenPop it is given; it keeps only what is being typed.
Pane {
    id: panel

    required property ScreenPop pop
    property date now: new Date()

    // The outcome being chosen and the note being typed, for the call on the card.
    property string chosen: ""
    // The appointment booked from this card, as it reads ("Tomorrow, 11:00–11:30 at …").
    property string bookedText: ""
    // The dialogs the card opens (for the page and tests to reach).
    readonly property alias stockCheckDialog: stockDialog
    readonly property alias bookingDialog: bookDialog
    readonly property bool ringing: pop.phase === ScreenPop.Ringing
    readonly property bool wrapUp: pop.phase === ScreenPop.WrapUp
    readonly property bool finishing: pop.phase === ScreenPop.OnCall || wrapUp
    readonly property color tone: ringing ? "#1565c0" : wrapUp ? "#b26a00" : "#2e7d32"

    function when(date) {
        return Qt.formatDateTime(date, "ddd d MMM, HH:mm")
    }
    function statusText(status) {
        switch (status) {
        case "completed": return qsTr("answered")
        case "missed": return qsTr("missed")
        case "abandoned": return qsTr("caller hung up")
        case "voicemail": return qsTr("voicemail")
        case "callback": return qsTr("asked for a callback")
        case "in_progress": return qsTr("in progress")
        case "ringing": return qsTr("ringing")
        }
        return status
    }

    Connections {
        target: panel.pop

        // Only when the card shows another call: the one on it answered, hung up or changed
        // keeps the note and the outcome being chosen.
        function onCallIdChanged() {
            panel.chosen = panel.pop.disposition
            panel.bookedText = ""
            note.clear()
            stockDialog.close()
            bookDialog.close()
        }
        function onCallFinished() {
            note.clear()
        }
    }

    padding: 0
    Material.elevation: 3
    background: Rectangle {
        color: "white"
        border.color: panel.tone
        border.width: 2
        radius: 6
    }
    Accessible.role: Accessible.Grouping
    Accessible.name: panel.pop.headline

    ColumnLayout {
        anchors.fill: parent
        spacing: 0

        // The banner: what is happening and since when.
        Rectangle {
            color: panel.tone
            radius: 4
            implicitHeight: bannerRow.implicitHeight + 24
            Layout.fillWidth: true

            RowLayout {
                id: bannerRow

                anchors.fill: parent
                anchors.margins: 12
                anchors.leftMargin: 16
                spacing: 12

                Label {
                    objectName: "screenPopHeadline"
                    text: panel.pop.headline
                    color: "white"
                    font.pixelSize: 21
                    font.weight: Font.Bold
                    wrapMode: Text.WordWrap
                    Layout.fillWidth: true
                    Accessible.role: Accessible.Alert
                    Accessible.name: text
                }
                Label {
                    objectName: "screenPopTimer"
                    text: panel.ringing ? panel.pop.elapsed(panel.pop.startedAt, panel.now)
                          : panel.wrapUp ? qsTr("ended %1").arg(Qt.formatTime(panel.pop.endedAt, "HH:mm"))
                          : panel.pop.elapsed(panel.pop.answeredAt, panel.now)
                    color: "white"
                    font.pixelSize: 22
                    font.weight: Font.Bold
                }
            }
        }

        ColumnLayout {
            spacing: 12
            Layout.fillWidth: true
            Layout.margins: 16

            Label {
                objectName: "screenPopCaller"
                text: panel.pop.known
                      ? [panel.pop.withheld ? qsTr("Withheld number") : panel.pop.callerNumber,
                         panel.pop.need.length > 0 ? qsTr("asked for: %1").arg(panel.pop.need) : ""]
                          .filter(s => s.length > 0).join(" · ")
                      : (panel.pop.withheld ? qsTr("Withheld number: the caller cannot be looked up")
                                            : qsTr("New caller: nobody has recorded %1 yet").arg(panel.pop.callerLabel))
                        + (panel.pop.need.length > 0 ? " · " + qsTr("asked for: %1").arg(panel.pop.need) : "")
                font.pixelSize: 16
                color: "#37474f"
                wrapMode: Text.WordWrap
                Layout.fillWidth: true
            }

            // What callers ask for most, at hand during and after the call: the caller's store
            // and (when known) the customer are filled in.
            Flow {
                objectName: "callActions"
                visible: panel.pop.storeId.length > 0
                spacing: 8
                Layout.fillWidth: true

                Button {
                    objectName: "checkStockButton"
                    text: qsTr("Check stock")
                    implicitHeight: 48
                    font.pixelSize: 16
                    Accessible.name: qsTr("Check stock for the caller")
                    onClicked: stockDialog.open()
                }
                Button {
                    objectName: "bookAppointmentButton"
                    text: panel.pop.known ? qsTr("Book an appointment for %1").arg(panel.pop.customerName)
                                          : qsTr("Book an appointment")
                    implicitHeight: 48
                    font.pixelSize: 16
                    onClicked: bookDialog.open()
                }
                Label {
                    objectName: "bookedNotice"
                    visible: panel.bookedText.length > 0
                    text: qsTr("Booked: %1").arg(panel.bookedText)
                    color: "#1b5e20"
                    font.pixelSize: 15
                    font.weight: Font.DemiBold
                    height: 48
                    verticalAlignment: Text.AlignVCenter
                }
            }

            // The history and, once the call is the person's, the form to finish it. On a wide
            // screen the form sits beside the history at the top; on a narrow one it comes first
            // after the call (it is what the person does next) and last during it.
            GridLayout {
                id: body

                readonly property bool formBeside: panel.finishing && panel.width >= 900

                columns: formBeside ? 2 : 1
                columnSpacing: 24
                rowSpacing: 16
                Layout.fillWidth: true

                // The caller's history: two columns side by side where there is room.
                GridLayout {
                    columns: panel.width - (body.formBeside ? 384 : 0) >= 640 ? 2 : 1
                    columnSpacing: 24
                    rowSpacing: 12
                    Layout.row: !body.formBeside && panel.wrapUp ? 1 : 0
                    Layout.column: 0
                    Layout.fillWidth: true
                    // Its sections stretch within a row; the history as a whole does not follow
                    // a taller form beside it.
                    Layout.fillHeight: false
                    Layout.alignment: Qt.AlignTop

                    HistorySection {
                        objectName: "recentCalls"
                        title: qsTr("Recent calls")
                        empty: qsTr("No earlier calls")
                        items: panel.pop.recentCalls
                        lineOf: c => panel.when(c.startedAt) + " · " + c.storeName
                        detailOf: c => [panel.statusText(c.status),
                                        c.handledByName.length > 0 ? qsTr("with %1").arg(c.handledByName) : "",
                                        c.disposition.length > 0 ? panel.pop.dispositionLabel(c.disposition) : ""]
                                       .filter(s => s.length > 0).join(" · ")
                    }
                    HistorySection {
                        objectName: "openTasks"
                        title: qsTr("Open tasks")
                        empty: qsTr("Nothing open")
                        items: panel.pop.openTasks
                        lineOf: t => t.title
                        detailOf: t => (t.overdue ? qsTr("overdue since %1") : qsTr("due %1")).arg(panel.when(t.dueAt))
                                       + " · " + t.storeName
                    }
                    HistorySection {
                        objectName: "appointments"
                        title: qsTr("Appointments")
                        empty: qsTr("None booked")
                        items: panel.pop.appointments
                        lineOf: a => panel.when(a.startsAt) + (a.purpose.length > 0 ? " · " + a.purpose : "")
                        detailOf: a => [a.storeName, a.staffName.length > 0 ? qsTr("with %1").arg(a.staffName) : ""]
                                       .filter(s => s.length > 0).join(" · ")
                    }
                    HistorySection {
                        objectName: "notes"
                        title: qsTr("Notes")
                        empty: qsTr("No notes yet")
                        items: panel.pop.notes
                        lineOf: n => n.body
                        detailOf: n => [panel.when(n.createdAt), n.authorName, n.storeName]
                                       .filter(s => s.length > 0).join(" · ")
                    }
                }

                // After the call (or during it): how it ended, a note, done.
                ColumnLayout {
                    objectName: "finishForm"
                    visible: panel.finishing
                    spacing: 8
                    Layout.row: body.formBeside || panel.wrapUp ? 0 : 1
                    Layout.column: body.formBeside ? 1 : 0
                    Layout.fillWidth: !body.formBeside
                    Layout.preferredWidth: body.formBeside ? 360 : -1
                    Layout.alignment: Qt.AlignTop

                    Label {
                        text: panel.wrapUp ? qsTr("How did the call end?") : qsTr("Outcome and note (save any time)")
                        font.pixelSize: 18
                        font.weight: Font.DemiBold
                        color: "#1f3a5f"
                    }
                    Flow {
                        spacing: 8
                        Layout.fillWidth: true

                        Repeater {
                            model: panel.pop.dispositions

                            delegate: Button {
                                required property string modelData

                                // Not checkable: a tap on the chosen one would uncheck it
                                // while it stays chosen. The choice shows by colour alone.
                                readonly property bool isChosen: panel.chosen === modelData

                                objectName: "disposition_" + modelData
                                text: panel.pop.dispositionLabel(modelData)
                                highlighted: isChosen
                                // The chosen one in the app's dark blue: the accent's light teal
                                // under white text reads poorly.
                                Material.background: isChosen ? "#1f3a5f" : undefined
                                Material.foreground: isChosen ? "white" : undefined
                                implicitHeight: 48
                                font.pixelSize: 15
                                Accessible.name: isChosen ? qsTr("Outcome: %1 (chosen)").arg(text)
                                                        : qsTr("Outcome: %1").arg(text)
                                onClicked: panel.chosen = modelData
                            }
                        }
                    }
                    TextArea {
                        id: note

                        objectName: "noteField"
                        placeholderText: qsTr("Note for the customer's history (optional)")
                        wrapMode: TextEdit.Wrap
                        font.pixelSize: 16
                        Layout.fillWidth: true
                        Layout.preferredHeight: Math.max(96, implicitHeight)
                        Accessible.name: qsTr("Note about this call")
                    }
                    RowLayout {
                        spacing: 12
                        Layout.fillWidth: true

                        Label {
                            objectName: "finishError"
                            text: panel.pop.lastError.length > 0 ? panel.pop.lastError
                                  : panel.pop.disposition.length > 0 ? qsTr("Saved: %1").arg(panel.pop.dispositionLabel(panel.pop.disposition))
                                  : ""
                            color: panel.pop.lastError.length > 0 ? "#8a1c12" : "#2e7d32"
                            font.pixelSize: 15
                            wrapMode: Text.WordWrap
                            Layout.fillWidth: true
                        }
                        Button {
                            objectName: "skipButton"
                            visible: panel.wrapUp
                            text: qsTr("Skip")
                            flat: true
                            implicitHeight: 48
                            Accessible.name: qsTr("Close this call without an outcome")
                            onClicked: panel.pop.dismiss()
                        }
                        Button {
                            objectName: "doneButton"
                            text: qsTr("Done")
                            highlighted: true
                            enabled: panel.chosen.length > 0 && !panel.pop.saving
                            implicitHeight: 48
                            implicitWidth: 120
                            font.pixelSize: 17
                            Accessible.name: qsTr("Save the outcome and the note")
                            onClicked: panel.pop.finishCall(panel.pop.callId, panel.chosen, note.text)
                        }
                    }
                }
            }
        }
    }

    StockCheckDialog {
        id: stockDialog

        objectName: "stockDialog"
        cache: panel.pop.sync
        storeId: panel.pop.storeId
    }

    BookAppointmentDialog {
        id: bookDialog

        objectName: "bookDialog"
        cache: panel.pop.sync
        storeId: panel.pop.storeId
        customerId: panel.pop.customerId
        customerName: panel.pop.customerName
        onBookedAt: whenText => panel.bookedText = whenText
    }
}
