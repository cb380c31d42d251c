import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts
import CallCommander.Core
import CallCommander.Ui

// A customer's requests about their personal data (admins; docs/security.md, "Personal data"):
// find who the request is about, save everything held about them as a file to send them, or
// erase it. Erasing asks first, says exactly what happens and needs the word ERASE typed; its
// result lists the voicemail recordings to delete at the telephony provider as well.
Page {
    id: page

    // The server's answers (a test gives its own rows to show).
    property PrivacyRequests requests: PrivacyRequests {
        session: Session
    }
    property var rows: requests
    // Where exports are saved.
    property string exportFolder: requests.defaultExportFolder
    // What the last export and erasure did, shown until dismissed or replaced.
    property string exportedPath: ""
    property string exportedName: ""
    property var erasure: ({})
    property string erasedName: ""

    readonly property alias eraseDialog: eraseDialog
    readonly property bool narrow: width < 600
    readonly property bool hasErasure: erasure.erasedAt !== undefined
    readonly property var recordings: erasure.providerRecordingsToDelete || []

    title: qsTr("Privacy requests")

    // Ready to type who the request is about.
    StackView.onActivated: searchField.forceActiveFocus()

    function search() {
        page.exportedPath = ""
        page.erasure = {}
        page.requests.search(searchField.text)
    }

    function exportData(customerId, name) {
        page.exportedPath = ""
        page.exportedName = name
        page.requests.exportCustomer(customerId, page.exportFolder)
    }

    // Asks before erasing; the erasure runs when the dialog is accepted.
    function confirmErase(customerId, name) {
        eraseDialog.customerId = customerId
        eraseDialog.who = name
        eraseDialog.open()
    }

    // "1 note", "3 notes".
    function count(n, one, many) {
        return n === 1 ? one : many.arg(n)
    }

    // A day and time in the device's language, to the minute.
    function when(date) {
        const locale = Qt.locale()
        return date.toLocaleDateString(locale, Locale.ShortFormat) + ", "
                + date.toLocaleTimeString(locale, locale.timeFormat(Locale.ShortFormat).replace(":ss", ""))
    }

    function known(date) {
        return date instanceof Date && !isNaN(date.getTime())
    }

    Connections {
        target: page.requests

        function onExported(path) {
            page.exportedPath = path
        }
        function onErased(result) {
            page.erasure = result
        }
    }

    header: ToolBar {
        Material.background: "white"
        Material.foreground: "#1f3a5f"
        Material.elevation: 1

        RowLayout {
            anchors.fill: parent
            anchors.leftMargin: 8
            anchors.rightMargin: 8

            ToolButton {
                text: qsTr("‹ Back")
                implicitHeight: 48
                visible: page.StackView.view !== null && page.StackView.index > 0
                Accessible.name: qsTr("Back")
                onClicked: page.StackView.view.pop()
            }
            Label {
                text: page.title
                font.pixelSize: 22
                font.weight: Font.DemiBold
                elide: Text.ElideRight
                Layout.fillWidth: true
            }
            BusyIndicator {
                objectName: "busy"
                running: page.requests.busy
                visible: running
                implicitWidth: 40
                implicitHeight: 40
                Accessible.name: qsTr("Working…")
            }
        }
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 0

        // Who the request is about.
        Pane {
            objectName: "searchBar"
            Layout.fillWidth: true
            Material.background: "#f4f6f8"
            padding: 12

            ColumnLayout {
                width: parent.width
                spacing: 6

                RowLayout {
                    spacing: 8
                    Layout.fillWidth: true

                    TextField {
                        id: searchField

                        objectName: "searchField"
                        Layout.fillWidth: true
                        implicitHeight: 52
                        font.pixelSize: 17
                        placeholderText: qsTr("Phone, e-mail or name")
                        inputMethodHints: Qt.ImhNoPredictiveText | Qt.ImhNoAutoUppercase
                        Accessible.name: qsTr("The customer's phone number, e-mail address or the start of their name")
                        onAccepted: page.search()
                    }
                    Button {
                        objectName: "searchButton"
                        text: qsTr("Search")
                        highlighted: true
                        implicitHeight: 52
                        enabled: searchField.text.trim().length > 0
                        Accessible.name: qsTr("Search for the customer")
                        onClicked: page.search()
                    }
                }
                Label {
                    objectName: "exportFolder"
                    text: qsTr("Exports are saved in %1").arg(page.exportFolder)
                    font.pixelSize: 13
                    opacity: 0.7
                    elide: Text.ElideMiddle
                    Layout.fillWidth: true
                }
            }
        }

        Pane {
            objectName: "privacyError"
            visible: page.requests.error.length > 0
            Layout.fillWidth: true
            Material.background: "#fdecea"

            Label {
                width: parent.width
                text: page.requests.error
                color: "#8a1c12"
                wrapMode: Text.WordWrap
                font.pixelSize: 16
                Accessible.role: Accessible.AlertMessage
                Accessible.name: text
            }
        }

        // Where the export went.
        Pane {
            objectName: "exportNotice"
            visible: page.exportedPath.length > 0
            Layout.fillWidth: true
            Material.background: "#e8f5e9"

            RowLayout {
                width: parent.width
                spacing: 8

                ColumnLayout {
                    spacing: 4
                    Layout.fillWidth: true

                    Label {
                        objectName: "exportedWhat"
                        text: qsTr("Saved %1's data to this file:").arg(page.exportedName)
                        font.pixelSize: 16
                        font.weight: Font.DemiBold
                        color: "#1b5e20"
                        wrapMode: Text.WordWrap
                        Layout.fillWidth: true
                        Accessible.role: Accessible.AlertMessage
                        Accessible.name: qsTr("Saved %1's data to %2").arg(page.exportedName).arg(page.exportedPath)
                    }
                    // Selectable, to copy into an e-mail or a file manager.
                    TextEdit {
                        objectName: "exportedPath"
                        text: page.exportedPath
                        readOnly: true
                        selectByMouse: true
                        wrapMode: TextEdit.WrapAnywhere
                        font.family: "monospace"
                        font.pixelSize: 14
                        color: Material.foreground
                        selectionColor: Material.accent
                        Layout.fillWidth: true
                        Accessible.role: Accessible.EditableText
                        Accessible.name: qsTr("Path of the saved file")
                    }
                    Label {
                        text: qsTr("Send it to the customer securely, then delete your copy.")
                        font.pixelSize: 14
                        wrapMode: Text.WordWrap
                        Layout.fillWidth: true
                    }
                }
                Button {
                    text: qsTr("Close")
                    flat: true
                    implicitHeight: 48
                    Accessible.name: qsTr("Close the export notice")
                    onClicked: page.exportedPath = ""
                }
            }
        }

        // What the erasure did, and what is left to do at the telephony provider.
        Pane {
            objectName: "erasureNotice"
            visible: page.hasErasure
            Layout.fillWidth: true
            Layout.maximumHeight: page.height / 2
            Material.background: page.recordings.length > 0 ? "#fff4e5" : "#e8f5e9"

            RowLayout {
                anchors.fill: parent
                spacing: 8

                ColumnLayout {
                    spacing: 6
                    Layout.fillWidth: true
                    Layout.fillHeight: true

                    Label {
                        objectName: "erasureSummary"
                        text: !page.hasErasure ? ""
                              : page.erasure.alreadyErased
                                ? qsTr("This customer's data was already erased on %1. Nothing changed.").arg(page.when(page.erasure.erasedAt))
                                : qsTr("%1's personal data was erased on %2.").arg(page.erasedName).arg(page.when(page.erasure.erasedAt))
                        font.pixelSize: 16
                        font.weight: Font.DemiBold
                        color: "#1b5e20"
                        wrapMode: Text.WordWrap
                        Layout.fillWidth: true
                        Accessible.role: Accessible.AlertMessage
                        Accessible.name: text
                    }
                    Label {
                        objectName: "erasureCounts"
                        visible: page.hasErasure && !page.erasure.alreadyErased
                        text: !page.hasErasure ? ""
                              : qsTr("Deleted: %1, %2, %3. Made anonymous, with their figures kept: %4, %5, %6. Every tablet applies it at its next sync.")
                                .arg(page.count(page.erasure.notes, qsTr("1 note"), qsTr("%1 notes")))
                                .arg(page.count(page.erasure.phones, qsTr("1 phone number"), qsTr("%1 phone numbers")))
                                .arg(page.count(page.erasure.selfServiceTurns, qsTr("1 self-service answer"), qsTr("%1 self-service answers")))
                                .arg(page.count(page.erasure.calls, qsTr("1 call"), qsTr("%1 calls")))
                                .arg(page.count(page.erasure.tasks, qsTr("1 task"), qsTr("%1 tasks")))
                                .arg(page.count(page.erasure.appointments, qsTr("1 appointment"), qsTr("%1 appointments")))
                        font.pixelSize: 15
                        wrapMode: Text.WordWrap
                        Layout.fillWidth: true
                        Accessible.name: text
                    }
                    Label {
                        objectName: "recordingsToDelete"
                        text: page.recordings.length === 0
                              ? qsTr("No voicemail recordings to delete at Twilio.")
                              : page.recordings.length === 1
                                ? qsTr("Twilio keeps its own copy of 1 voicemail recording: delete it there as well, in the Twilio Console or through Twilio's API.")
                                : qsTr("Twilio keeps its own copies of %1 voicemail recordings: delete them there as well, in the Twilio Console or through Twilio's API.").arg(page.recordings.length)
                        font.pixelSize: 15
                        font.weight: page.recordings.length > 0 ? Font.DemiBold : Font.Normal
                        color: page.recordings.length > 0 ? "#8a4b00" : Material.foreground
                        wrapMode: Text.WordWrap
                        Layout.fillWidth: true
                        Accessible.name: text
                    }
                    ScrollView {
                        visible: page.recordings.length > 0
                        Layout.fillWidth: true
                        Layout.fillHeight: true
                        Layout.preferredHeight: Math.min(recordingLinks.implicitHeight, 160)
                        Layout.minimumHeight: 48

                        TextArea {
                            id: recordingLinks

                            objectName: "recordingLinks"
                            text: page.recordings.join("\n")
                            readOnly: true
                            selectByMouse: true
                            wrapMode: TextEdit.WrapAnywhere
                            font.family: "monospace"
                            font.pixelSize: 13
                            Accessible.name: qsTr("Links of the recordings to delete at Twilio")
                        }
                    }
                }
                ColumnLayout {
                    spacing: 4
                    Layout.alignment: Qt.AlignTop

                    Button {
                        id: copyLinks

                        property bool copied: false

                        objectName: "copyRecordings"
                        visible: page.recordings.length > 0
                        text: copied ? qsTr("Copied") : qsTr("Copy links")
                        implicitHeight: 48
                        Accessible.name: qsTr("Copy the links of the recordings to delete")
                        onClicked: {
                            recordingLinks.selectAll()
                            recordingLinks.copy()
                            recordingLinks.deselect()
                            copied = true
                        }
                    }
                    Button {
                        objectName: "closeErasure"
                        text: qsTr("Close")
                        flat: true
                        implicitHeight: 48
                        Accessible.name: qsTr("Close the erasure's result")
                        onClicked: {
                            copyLinks.copied = false
                            page.erasure = {}
                        }
                    }
                }
            }
        }

        ListView {
            id: list

            objectName: "customerList"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            model: page.rows
            ScrollBar.vertical: ScrollBar {}

            delegate: Control {
                id: row

                required property string customerId
                required property string displayName
                required property string email
                required property string phones
                required property string stores
                required property date lastCallAt
                required property bool erased
                required property date erasedAt

                readonly property string contact: [email, phones].filter(s => s.length > 0).join(" · ")
                readonly property string seen: [stores, page.known(lastCallAt) ? qsTr("last call %1").arg(page.when(lastCallAt))
                                                                               : qsTr("no calls")]
                                                .filter(s => s.length > 0).join(" · ")

                width: ListView.view.width
                leftPadding: 16
                rightPadding: 12
                topPadding: 10
                bottomPadding: 10
                Accessible.role: Accessible.ListItem
                Accessible.name: erased ? qsTr("%1, erased").arg(displayName)
                                        : [displayName, contact, seen].filter(s => s.length > 0).join(", ")

                background: Rectangle {
                    color: row.erased ? "#f5f5f5" : "white"

                    Rectangle {
                        anchors.bottom: parent.bottom
                        width: parent.width
                        height: 1
                        color: "#dde3ea"
                    }
                }

                contentItem: GridLayout {
                    columns: page.narrow ? 1 : 2
                    columnSpacing: 12
                    rowSpacing: 6

                    // Side by side, or the buttons under the customer at a phone's width (placed
                    // by row and column: Qt 6.4 does not always flow again when `columns` changes).
                    ColumnLayout {
                        spacing: 2
                        Layout.row: 0
                        Layout.column: 0
                        Layout.fillWidth: true

                        Label {
                            objectName: "name"
                            text: row.displayName
                            font.pixelSize: 18
                            font.weight: Font.DemiBold
                            color: row.erased ? "#757575" : Material.foreground
                            elide: Text.ElideRight
                            Layout.fillWidth: true
                        }
                        Label {
                            visible: row.contact.length > 0
                            text: row.contact
                            font.pixelSize: 14
                            opacity: 0.75
                            wrapMode: Text.WordWrap
                            Layout.fillWidth: true
                        }
                        Label {
                            text: row.seen
                            font.pixelSize: 14
                            opacity: row.erased ? 0.6 : 0.75
                            wrapMode: Text.WordWrap
                            Layout.fillWidth: true
                        }
                        Label {
                            objectName: "erasedOn"
                            visible: row.erased
                            text: page.known(row.erasedAt) ? qsTr("Erased on %1").arg(page.when(row.erasedAt))
                                                           : qsTr("Erased")
                            font.pixelSize: 14
                            font.italic: true
                            color: "#757575"
                            Layout.fillWidth: true
                        }
                    }
                    RowLayout {
                        spacing: 8
                        Layout.row: page.narrow ? 1 : 0
                        Layout.column: page.narrow ? 0 : 1
                        Layout.alignment: page.narrow ? Qt.AlignLeft : (Qt.AlignRight | Qt.AlignVCenter)

                        Button {
                            objectName: "export_" + row.customerId
                            text: qsTr("Export data")
                            implicitHeight: 48
                            Accessible.name: qsTr("Export %1's data to a file").arg(row.displayName)
                            onClicked: page.exportData(row.customerId, row.displayName)
                        }
                        Button {
                            objectName: "erase_" + row.customerId
                            text: row.erased ? qsTr("Erased") : qsTr("Erase…")
                            enabled: !row.erased
                            flat: true
                            implicitHeight: 48
                            Layout.minimumWidth: 96
                            Material.foreground: "#b3261e"
                            Accessible.name: row.erased ? qsTr("%1's data is already erased").arg(row.displayName)
                                                        : qsTr("Erase %1's personal data").arg(row.displayName)
                            onClicked: page.confirmErase(row.customerId, row.displayName)
                        }
                    }
                }
            }

            Label {
                objectName: "emptyState"
                anchors.centerIn: parent
                width: Math.min(parent.width - 48, 520)
                visible: list.count === 0 && !page.requests.searching
                         && (page.requests.query.length === 0 || page.requests.error.length === 0)
                text: page.requests.query.length === 0
                      ? qsTr("Find the customer a request is about: type a phone number (in any form), an e-mail address or the start of their name.")
                      : qsTr("No customer matches “%1”.").arg(page.requests.query)
                horizontalAlignment: Text.AlignHCenter
                wrapMode: Text.WordWrap
                opacity: 0.6
                font.pixelSize: 16
            }
        }
    }

    // One point of what an erasure does.
    component Point: Label {
        font.pixelSize: 15
        wrapMode: Text.WordWrap
        leftPadding: 18
        Layout.fillWidth: true

        Label {
            text: "•"
            font.pixelSize: 15
        }
    }

    // Erasing cannot be undone: it says what happens and asks for the word.
    Dialog {
        id: eraseDialog

        property string customerId: ""
        property string who: ""
        readonly property bool confirmed: confirmation.text.trim() === "ERASE"

        objectName: "eraseDialog"
        anchors.centerIn: parent
        width: Math.min(page.width - 32, 560)
        height: Math.min(implicitHeight, page.height - 32)
        modal: true
        title: qsTr("Erase %1's personal data?").arg(who)

        onOpened: {
            confirmation.text = ""
            confirmation.forceActiveFocus()
        }
        onAccepted: {
            page.exportedPath = ""
            page.erasedName = who
            page.requests.erase(customerId)
        }

        // The title whole, on two lines at a phone's width.
        header: Label {
            objectName: "eraseTitle"
            text: eraseDialog.title
            font.pixelSize: 18
            font.weight: Font.DemiBold
            wrapMode: Text.WordWrap
            padding: 24
            bottomPadding: 0
            Accessible.role: Accessible.Heading
            Accessible.name: text
        }

        contentItem: Flickable {
            contentHeight: eraseColumn.implicitHeight
            clip: true
            boundsBehavior: Flickable.StopAtBounds
            implicitHeight: eraseColumn.implicitHeight

            ColumnLayout {
                id: eraseColumn

                width: parent.width
                spacing: 8

                Point {
                    text: qsTr("Their notes and phone numbers are deleted.")
                }
                Point {
                    text: qsTr("Their name, e-mail address and phone numbers are removed from their calls, tasks and appointments, with voicemail links and what they said to the self-service line. They are then listed as “Erased customer”.")
                }
                Point {
                    text: qsTr("The calls, tasks and appointments themselves stay, without anything personal, so every figure keeps its value.")
                }
                Point {
                    text: qsTr("Every tablet removes the data at its next sync.")
                }
                Point {
                    text: qsTr("Voicemail recordings are also kept at Twilio: you get the list to delete there.")
                }
                Label {
                    objectName: "cannotBeUndone"
                    text: qsTr("This cannot be undone. If the customer also asked for a copy of their data, export it first.")
                    font.pixelSize: 15
                    font.weight: Font.DemiBold
                    color: "#8a1c12"
                    wrapMode: Text.WordWrap
                    Layout.fillWidth: true
                    Layout.topMargin: 4
                    Accessible.role: Accessible.AlertMessage
                    Accessible.name: text
                }
                Label {
                    text: qsTr("Type ERASE to confirm.")
                    font.pixelSize: 15
                    Layout.fillWidth: true
                    Layout.topMargin: 4
                }
                TextField {
                    id: confirmation

                    objectName: "eraseConfirmation"
                    Layout.fillWidth: true
                    implicitHeight: 52
                    font.pixelSize: 17
                    placeholderText: "ERASE"
                    inputMethodHints: Qt.ImhUppercaseOnly | Qt.ImhNoPredictiveText
                    Accessible.name: qsTr("Type ERASE to confirm the erasure")
                    onAccepted: if (eraseDialog.confirmed) eraseDialog.accept()
                }
            }
        }

        footer: DialogButtonBox {
            Button {
                objectName: "cancelErase"
                text: qsTr("Cancel")
                flat: true
                implicitHeight: 48
                Accessible.name: qsTr("Cancel: erase nothing")
                DialogButtonBox.buttonRole: DialogButtonBox.RejectRole
            }
            Button {
                objectName: "eraseButton"
                text: qsTr("Erase for good")
                enabled: eraseDialog.confirmed
                implicitHeight: 48
                Material.background: "#b3261e"
                Material.foreground: "white"
                Accessible.name: qsTr("Erase %1's personal data for good").arg(eraseDialog.who)
                DialogButtonBox.buttonRole: DialogButtonBox.AcceptRole
            }
        }
    }
}
