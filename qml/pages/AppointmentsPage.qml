import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts
import CallCommander.Core
import CallCommander.Ui

// The upcoming appointments of the person's stores, from the device's offline cache: the ones
// callers asked for on the phone line wait at the top until someone confirms them; each shows
// whether it is in the store's calendar. Confirming, cancelling and booking work offline too.
Page {
    id: page

    objectName: "appointmentsPage"

    // Where the list reads from (the app's Sync; a test gives its own cache).
    property QtObject cache: Sync
    // What the page said last ("Booked: Tomorrow, 11:00–11:30 at Main Street").
    property string notice: ""
    // The dialogs the page opens (for tests to reach).
    readonly property alias stockCheckDialog: stockDialog
    readonly property alias bookingDialog: bookDialog
    readonly property alias cancelDialog: confirmCancel

    title: qsTr("Appointments")

    AppointmentsModel {
        id: appointments

        sync: page.cache
    }

    header: ToolBar {
        Material.background: "white"
        Material.foreground: "#1f3a5f"
        Material.elevation: 1

        RowLayout {
            anchors.fill: parent
            anchors.leftMargin: 8
            anchors.rightMargin: 8
            spacing: 4

            ToolButton {
                text: qsTr("‹ Back")
                implicitHeight: 48
                visible: page.StackView.view !== null && page.StackView.index > 0
                Accessible.name: qsTr("Back")
                onClicked: page.StackView.view.pop()
            }
            Label {
                text: page.title
                font.pixelSize: page.width < 480 ? 19 : 22
                font.weight: Font.DemiBold
                elide: Text.ElideRight
                Layout.fillWidth: true
                Layout.leftMargin: 8
            }
            Button {
                objectName: "stockButton"
                text: qsTr("Check stock")
                flat: true
                implicitHeight: 48
                font.pixelSize: 16
                onClicked: stockDialog.open()
            }
            Button {
                objectName: "bookButton"
                text: qsTr("Book")
                highlighted: true
                implicitHeight: 48
                font.pixelSize: 16
                Accessible.name: qsTr("Book an appointment")
                onClicked: bookDialog.open()
            }
        }
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 0

        Label {
            objectName: "appointmentsNotice"
            visible: page.notice.length > 0
            text: page.notice
            color: "#1b5e20"
            font.pixelSize: 16
            font.weight: Font.DemiBold
            wrapMode: Text.WordWrap
            padding: 12
            Layout.fillWidth: true
            Accessible.role: Accessible.AlertMessage
            Accessible.name: text
        }
        Label {
            objectName: "appointmentsError"
            visible: appointments.lastError.length > 0
            text: appointments.lastError
            color: "#8a1c12"
            font.pixelSize: 16
            wrapMode: Text.WordWrap
            padding: 12
            Layout.fillWidth: true
        }

        ListView {
            id: list

            objectName: "appointmentList"
            model: appointments
            clip: true
            spacing: 0
            Layout.fillWidth: true
            Layout.fillHeight: true
            ScrollBar.vertical: ScrollBar {}

            section.property: "status"
            section.delegate: Rectangle {
                required property string section

                width: ListView.view.width
                implicitHeight: sectionLabel.implicitHeight + 20
                color: "#eceff1"

                Label {
                    id: sectionLabel

                    anchors.verticalCenter: parent.verticalCenter
                    x: 16
                    width: parent.width - 32
                    wrapMode: Text.WordWrap
                    text: parent.section === "requested"
                          ? qsTr("Asked for on the phone — call the customer, then confirm (%1)").arg(appointments.requestedCount)
                          : qsTr("Booked")
                    font.pixelSize: 15
                    font.weight: Font.Bold
                    color: parent.section === "requested" ? "#8a4b00" : "#37474f"
                }
            }

            delegate: Control {
                id: row

                required property int index
                required property string appointmentId
                required property string whenText
                required property string customerName
                required property string storeName
                required property string staffName
                required property string purpose
                required property bool requested
                required property string calendarState
                required property string calendarText

                width: ListView.view.width
                Accessible.role: Accessible.ListItem
                leftPadding: 16
                rightPadding: 12
                topPadding: 12
                bottomPadding: 12
                Accessible.name: [whenText, customerName, purpose, requested ? qsTr("requested") : qsTr("booked")]
                                 .filter(s => s.length > 0).join(", ")

                // On a wide screen the buttons sit beside the appointment; on a narrow one below.
                contentItem: GridLayout {
                    columns: row.availableWidth >= 620 ? 2 : 1
                    columnSpacing: 16
                    rowSpacing: 8

                    ColumnLayout {
                        spacing: 3
                        Layout.fillWidth: true

                        RowLayout {
                            spacing: 10
                            Layout.fillWidth: true

                            StatusChip {
                                objectName: "requestedBadge"
                                visible: row.requested
                                text: qsTr("Requested")
                                tone: "#b26a00"
                                Layout.alignment: Qt.AlignTop
                            }
                            Label {
                                text: row.whenText
                                font.pixelSize: 19
                                font.weight: Font.DemiBold
                                color: "#1f3a5f"
                                wrapMode: Text.WordWrap
                                Layout.fillWidth: true
                            }
                        }
                        Label {
                            text: [row.customerName.length > 0 ? row.customerName : qsTr("No customer on record"),
                                   row.storeName,
                                   row.staffName.length > 0 ? qsTr("with %1").arg(row.staffName) : ""]
                                  .filter(s => s.length > 0).join(" · ")
                            font.pixelSize: 16
                            elide: Text.ElideRight
                            Layout.fillWidth: true
                        }
                        Label {
                            visible: row.purpose.length > 0
                            text: row.purpose
                            font.pixelSize: 15
                            color: "#455a64"
                            wrapMode: Text.WordWrap
                            maximumLineCount: 2
                            elide: Text.ElideRight
                            Layout.fillWidth: true
                        }
                        Label {
                            objectName: "calendarState"
                            visible: row.calendarText.length > 0
                            text: (row.calendarState === "failed" ? "⚠ " : row.calendarState === "synced" ? "✓ " : "") + row.calendarText
                            font.pixelSize: 14
                            font.weight: row.calendarState === "failed" ? Font.DemiBold : Font.Normal
                            color: row.calendarState === "failed" ? "#8a4b00"
                                   : row.calendarState === "synced" ? "#2e7d32" : "#607d8b"
                            wrapMode: Text.WordWrap
                            Layout.fillWidth: true
                        }
                    }
                    RowLayout {
                        spacing: 8
                        Layout.alignment: Qt.AlignRight | Qt.AlignVCenter

                        Button {
                            objectName: "confirmButton"
                            visible: row.requested
                            text: qsTr("Confirm")
                            highlighted: true
                            implicitHeight: 48
                            font.pixelSize: 16
                            Accessible.name: qsTr("Confirm the appointment %1").arg(row.whenText)
                            onClicked: appointments.confirm(row.index)
                        }
                        Button {
                            objectName: "cancelButton"
                            text: qsTr("Cancel")
                            flat: true
                            implicitHeight: 48
                            font.pixelSize: 16
                            Accessible.name: qsTr("Cancel the appointment %1").arg(row.whenText)
                            onClicked: {
                                confirmCancel.row = row.index
                                confirmCancel.what = row.whenText + (row.customerName.length > 0 ? " · " + row.customerName : "")
                                confirmCancel.open()
                            }
                        }
                    }
                }

                Rectangle {
                    anchors.bottom: parent.bottom
                    width: parent.width
                    height: 1
                    color: "#e0e0e0"
                }
            }

            Label {
                anchors.centerIn: parent
                width: parent.width - 48
                horizontalAlignment: Text.AlignHCenter
                visible: list.count === 0 && !appointments.loading
                text: page.cache !== null && page.cache.active ? qsTr("No upcoming appointments.")
                                                               : qsTr("Waiting for this device's data…")
                font.pixelSize: 18
                opacity: 0.7
                wrapMode: Text.WordWrap
            }
        }
    }

    Dialog {
        id: confirmCancel

        property int row: -1
        property string what: ""

        anchors.centerIn: Overlay.overlay
        // Sized when it opens: a width bound to the window's while the page is still being built
        // makes the wrapped text's height loop (Qt 6.4).
        width: 440
        onAboutToShow: width = Math.min(Overlay.overlay.width - 32, 460)
        modal: true
        title: qsTr("Cancel this appointment?")
        standardButtons: Dialog.No | Dialog.Yes

        contentItem: Label {
            text: qsTr("%1\nIt leaves the list and the store's calendar. Let the customer know.").arg(confirmCancel.what)
            wrapMode: Text.WordWrap
            font.pixelSize: 16
        }

        onAccepted: appointments.cancel(row)
    }

    StockCheckDialog {
        id: stockDialog

        cache: page.cache
    }

    BookAppointmentDialog {
        id: bookDialog

        objectName: "bookDialog"
        cache: page.cache
        onBookedAt: whenText => page.notice = qsTr("Booked: %1").arg(whenText)
    }
}
