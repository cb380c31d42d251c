import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts
import CallCommander.Core

// One provider on the integrations page: how it stands (a chip, the last error, when it was
// checked, how many stores are linked) and, opened, the form to set it up: settings, credentials
// (password fields; empty keeps the saved ones), on/off and each store's id at the provider.
// Save, Test connection and Disconnect go through the IntegrationsModel it is given.
Frame {
    id: card

    required property IntegrationsModel integrations
    // The organisation's stores (StoresModel with `all`), for the store links.
    required property var stores

    required property string provider
    required property string name
    required property string purpose
    required property bool connected
    required property bool isOn
    required property string status
    required property string statusText
    required property string lastError
    required property date checkedAt
    required property var settings
    required property var settingFields
    required property var credentialFields
    required property var locations
    required property int linkedCount
    required property string locationHint

    property bool editing: false
    readonly property bool busy: integrations.busy === provider
    readonly property bool anyBusy: integrations.busy.length > 0
    readonly property bool hasMessage: integrations.messageProvider === provider
                                       && integrations.message.length > 0
    readonly property color tone: status === "ok" ? "#2e7d32"
                                  : status === "failing" ? "#c62828"
                                  : status === "untested" ? "#b26a00" : "#78909c"

    // What the form holds, as save() takes it.
    function formSettings() {
        const out = {}
        for (let i = 0; i < settingRepeater.count; ++i) {
            const f = settingRepeater.itemAt(i)
            out[f.fieldName] = f.value
        }
        return out
    }
    function formCredentials() {
        const out = {}
        for (let i = 0; i < credentialRepeater.count; ++i) {
            const f = credentialRepeater.itemAt(i)
            out[f.fieldName] = f.value
        }
        return out
    }
    function formLocations() {
        // Without the store list (not synced yet) the saved links are kept as they are.
        if (linkRepeater.count === 0)
            return undefined
        const out = {}
        for (let i = 0; i < linkRepeater.count; ++i) {
            const f = linkRepeater.itemAt(i)
            out[f.storeId] = f.value
        }
        return out
    }
    function save() {
        savePending = true
        integrations.save(provider, formSettings(), formCredentials(), formLocations(),
                          enabledSwitch.checked)
    }
    property bool savePending: false

    Connections {
        target: card.integrations

        // A save that went through: the secrets typed leave the screen and the form closes.
        function onBusyChanged() {
            if (card.savePending && card.integrations.busy.length === 0) {
                card.savePending = false
                if (!card.integrations.messageIsError) {
                    for (let i = 0; i < credentialRepeater.count; ++i)
                        credentialRepeater.itemAt(i).clear()
                    card.editing = false
                }
            }
        }
        function onMessageChanged() {
            // Refused before it was sent: the form stays as typed.
            if (card.savePending && card.integrations.busy.length === 0
                    && card.integrations.messageProvider === card.provider)
                card.savePending = false
        }
    }

    padding: 20
    background: Rectangle {
        color: "white"
        radius: 8
        border.color: card.status === "failing" ? "#e57373" : "#cfd8dc"
        border.width: card.status === "failing" ? 2 : 1
    }
    Accessible.role: Accessible.Grouping
    Accessible.name: qsTr("%1: %2").arg(name).arg(statusText)

    ColumnLayout {
        anchors.fill: parent
        spacing: 10

        RowLayout {
            spacing: 12
            Layout.fillWidth: true

            Label {
                text: card.name
                font.pixelSize: 22
                font.weight: Font.Bold
                color: "#1f3a5f"
            }
            StatusChip {
                objectName: "stateChip_" + card.provider
                text: card.statusText
                tone: card.tone
                filled: card.status !== "not_connected"
            }
            Item { Layout.fillWidth: true }
            BusyIndicator {
                running: card.busy
                visible: running
                implicitWidth: 36
                implicitHeight: 36
            }
        }

        Label {
            text: card.purpose
            font.pixelSize: 15
            color: "#455a64"
            wrapMode: Text.WordWrap
            Layout.fillWidth: true
        }

        Label {
            objectName: "details_" + card.provider
            visible: card.connected
            text: [card.checkedAt.getTime() > 0
                   ? qsTr("Checked %1").arg(Qt.formatDateTime(card.checkedAt, "ddd d MMM, HH:mm"))
                   : qsTr("Not tested since the last change"),
                   card.linkedCount === 1 ? qsTr("1 store linked")
                                          : qsTr("%1 stores linked").arg(card.linkedCount)].join(" · ")
            font.pixelSize: 14
            color: "#607d8b"
            Layout.fillWidth: true
        }

        // The last failure the server recorded.
        Rectangle {
            objectName: "lastError_" + card.provider
            visible: card.connected && card.lastError.length > 0
            color: "#fdecea"
            radius: 6
            implicitHeight: errorText.implicitHeight + 20
            Layout.fillWidth: true

            Label {
                id: errorText

                anchors.fill: parent
                anchors.margins: 10
                text: qsTr("Last error: %1").arg(card.lastError)
                color: "#8a1c12"
                font.pixelSize: 15
                wrapMode: Text.WordWrap
            }
        }

        // How the last action on this provider went.
        Label {
            objectName: "message_" + card.provider
            visible: card.hasMessage && !card.editing
            text: card.integrations.message
            color: card.integrations.messageIsError ? "#8a1c12" : "#1b5e20"
            font.pixelSize: 15
            font.weight: Font.DemiBold
            wrapMode: Text.WordWrap
            Layout.fillWidth: true
            Accessible.role: Accessible.AlertMessage
            Accessible.name: text
        }

        Flow {
            spacing: 8
            Layout.fillWidth: true

            Button {
                objectName: "editButton_" + card.provider
                text: card.editing ? qsTr("Close the form")
                                   : card.connected ? qsTr("Change settings") : qsTr("Connect %1").arg(card.name)
                highlighted: !card.connected && !card.editing
                implicitHeight: 48
                font.pixelSize: 16
                onClicked: card.editing = !card.editing
            }
            Button {
                objectName: "testButton_" + card.provider
                visible: card.connected
                text: qsTr("Test connection")
                enabled: !card.anyBusy
                implicitHeight: 48
                font.pixelSize: 16
                Accessible.name: qsTr("Test the connection to %1").arg(card.name)
                onClicked: card.integrations.test(card.provider)
            }
            Button {
                objectName: "removeButton_" + card.provider
                visible: card.connected
                text: qsTr("Disconnect")
                flat: true
                enabled: !card.anyBusy
                implicitHeight: 48
                font.pixelSize: 16
                Material.foreground: "#8a1c12"
                Accessible.name: qsTr("Disconnect %1").arg(card.name)
                onClicked: confirmRemove.open()
            }
        }

        // The form.
        ColumnLayout {
            objectName: "form_" + card.provider
            visible: card.editing
            spacing: 6
            Layout.fillWidth: true
            Layout.topMargin: 8

            Switch {
                id: enabledSwitch

                objectName: "enabledSwitch_" + card.provider
                text: checked ? qsTr("On: the phone line and the app use it")
                              : qsTr("Off: kept, but nothing asks it")
                checked: card.connected ? card.isOn : true
                font.pixelSize: 16
                Accessible.name: qsTr("%1 on").arg(card.name)
            }

            Label {
                text: qsTr("Settings")
                font.pixelSize: 14
                font.weight: Font.Bold
                font.capitalization: Font.AllUppercase
                color: "#546e7a"
                Layout.topMargin: 8
            }
            Repeater {
                id: settingRepeater

                model: card.settingFields

                delegate: ColumnLayout {
                    required property var modelData
                    readonly property string fieldName: modelData.name
                    readonly property string value: field.text

                    spacing: 0
                    Layout.fillWidth: true

                    Label {
                        text: modelData.label + (modelData.required ? " *" : "")
                        font.pixelSize: 15
                    }
                    TextField {
                        id: field

                        objectName: "setting_" + card.provider + "_" + modelData.name
                        text: card.settings[modelData.name] !== undefined ? card.settings[modelData.name] : ""
                        placeholderText: modelData.placeholder
                        inputMethodHints: Qt.ImhNoAutoUppercase | Qt.ImhNoPredictiveText
                        font.pixelSize: 16
                        Layout.fillWidth: true
                        Accessible.name: modelData.label
                    }
                    Label {
                        text: modelData.hint
                        font.pixelSize: 13
                        color: "#78909c"
                        visible: text.length > 0
                    }
                }
            }

            Label {
                text: qsTr("Credentials")
                font.pixelSize: 14
                font.weight: Font.Bold
                font.capitalization: Font.AllUppercase
                color: "#546e7a"
                Layout.topMargin: 8
            }
            Label {
                text: card.connected ? qsTr("Kept sealed on the server and never shown again. Leave them empty to keep the saved ones.")
                                     : qsTr("Kept sealed on the server and never shown again.")
                font.pixelSize: 13
                color: "#78909c"
                wrapMode: Text.WordWrap
                Layout.fillWidth: true
            }
            Repeater {
                id: credentialRepeater

                model: card.credentialFields

                delegate: ColumnLayout {
                    required property var modelData
                    readonly property string fieldName: modelData.name
                    readonly property string value: secret.text
                    function clear() { secret.clear() }

                    spacing: 0
                    Layout.fillWidth: true

                    Label {
                        text: modelData.label
                        font.pixelSize: 15
                    }
                    TextField {
                        id: secret

                        objectName: "credential_" + card.provider + "_" + modelData.name
                        echoMode: TextInput.Password
                        placeholderText: modelData.saved ? qsTr("Saved — leave empty to keep") : qsTr("Required")
                        inputMethodHints: Qt.ImhSensitiveData | Qt.ImhNoPredictiveText | Qt.ImhNoAutoUppercase
                        font.pixelSize: 16
                        Layout.fillWidth: true
                        Accessible.name: modelData.label
                    }
                }
            }

            Label {
                text: qsTr("Stores")
                font.pixelSize: 14
                font.weight: Font.Bold
                font.capitalization: Font.AllUppercase
                color: "#546e7a"
                Layout.topMargin: 8
            }
            Label {
                text: linkRepeater.count > 0 ? qsTr("Each store's id at %1: %2. Leave a store empty to leave it out.").arg(card.name).arg(card.locationHint)
                                             : qsTr("The stores appear here once this device has synced.")
                font.pixelSize: 13
                color: "#78909c"
                wrapMode: Text.WordWrap
                Layout.fillWidth: true
            }
            Repeater {
                id: linkRepeater

                model: card.stores

                delegate: RowLayout {
                    required property string storeId
                    required property string label
                    readonly property string value: link.text

                    spacing: 12
                    Layout.fillWidth: true

                    Label {
                        text: label
                        font.pixelSize: 15
                        elide: Text.ElideRight
                        Layout.preferredWidth: Math.min(220, card.availableWidth * 0.4)
                    }
                    TextField {
                        id: link

                        objectName: "link_" + card.provider + "_" + storeId
                        text: card.locations[storeId] !== undefined ? card.locations[storeId] : ""
                        placeholderText: qsTr("not linked")
                        inputMethodHints: Qt.ImhNoAutoUppercase | Qt.ImhNoPredictiveText
                        font.pixelSize: 15
                        Layout.fillWidth: true
                        Accessible.name: qsTr("%1 id of %2").arg(card.name).arg(label)
                    }
                }
            }

            // While the form is open the answer to Save shows next to it.
            Label {
                objectName: "formMessage_" + card.provider
                visible: card.hasMessage
                text: card.integrations.message
                color: card.integrations.messageIsError ? "#8a1c12" : "#1b5e20"
                font.pixelSize: 15
                font.weight: Font.DemiBold
                wrapMode: Text.WordWrap
                Layout.fillWidth: true
                Layout.topMargin: 8
                Accessible.role: Accessible.AlertMessage
                Accessible.name: text
            }
            RowLayout {
                spacing: 12
                Layout.fillWidth: true
                Layout.topMargin: 8

                BusyIndicator {
                    running: card.busy
                    visible: running
                    implicitWidth: 40
                    implicitHeight: 40
                }
                Item { Layout.fillWidth: true }
                Button {
                    text: qsTr("Cancel")
                    flat: true
                    implicitHeight: 48
                    font.pixelSize: 16
                    onClicked: card.editing = false
                }
                Button {
                    objectName: "saveButton_" + card.provider
                    text: card.connected ? qsTr("Save") : qsTr("Save and connect")
                    highlighted: true
                    enabled: !card.anyBusy
                    implicitHeight: 48
                    implicitWidth: 160
                    font.pixelSize: 16
                    Accessible.name: qsTr("Save the settings of %1").arg(card.name)
                    onClicked: card.save()
                }
            }
        }
    }

    Dialog {
        id: confirmRemove

        anchors.centerIn: Overlay.overlay
        // Sized when it opens: a width bound to the window's while the page is still being built
        // makes the wrapped text's height loop (Qt 6.4).
        width: 440
        onAboutToShow: width = Math.min(Overlay.overlay.width - 32, 460)
        modal: true
        title: qsTr("Disconnect %1?").arg(card.name)
        standardButtons: Dialog.Cancel | Dialog.Ok

        contentItem: Label {
            text: qsTr("Its settings, credentials and store links are deleted. The phone line and the app stop using it at once.")
            wrapMode: Text.WordWrap
            font.pixelSize: 16
        }

        onAccepted: card.integrations.remove(card.provider)
    }
}
