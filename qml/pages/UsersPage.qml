import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts
import CallCommander.Core
import CallCommander.Ui

// The people of the organisation (admin) or of the manager's stores. An admin invites people,
// changes their role, stores and name, disables and enables their accounts and resets their
// passwords; an invite or a reset gives a one-time setup code, shown once, that the person
// enters on the sign-in screen to choose their password.
Page {
    id: page

    // The list (the server's; a test gives its own), where the stores come from, and whether the
    // person may manage accounts (the server decides again on every request).
    property UsersModel users: UsersModel {
        session: Session
    }
    property QtObject cache: Sync
    property bool admin: Session.role === "admin"
    // The last action's failure, shown until the next action.
    property string actionError: ""

    readonly property alias inviteDialog: inviteDialog
    readonly property alias manageDialog: manageDialog
    readonly property alias codeDialog: codeDialog
    readonly property alias resetDialog: confirmReset
    readonly property bool narrow: width < 600

    // The one-time code of an invite or reset, in a dialog of its own.
    function showCode(name, code, expiresAt) {
        codeDialog.who = name
        codeDialog.code = code
        codeDialog.expiresAt = expiresAt
        codeDialog.open()
    }

    function openInvite() {
        inviteDialog.reset()
        inviteDialog.open()
    }

    // One person's account in the manage dialog, as their row shows it.
    function openManage(userId, name, role, storeIds, active, isMe) {
        manageDialog.userId = userId
        manageDialog.who = name
        manageDialog.originalRole = role
        manageDialog.originalStores = storeIds
        manageDialog.active = active
        manageDialog.isMe = isMe
        manageDialog.reset()
        manageDialog.open()
    }

    title: qsTr("People")

    StoresModel {
        id: allStores

        sync: page.cache
        all: true
    }

    Connections {
        target: page.users

        function onInvited(userId, name, setupCode, expiresAt) {
            page.actionError = ""
            page.showCode(name, setupCode, expiresAt)
        }
        function onPasswordReset(userId, name, setupCode, expiresAt) {
            page.actionError = ""
            page.showCode(name, setupCode, expiresAt)
        }
        function onUpdated(userId) {
            page.actionError = ""
        }
        function onEnabled(userId) {
            page.actionError = ""
        }
        function onActionFailed(message) {
            page.actionError = message
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
                running: page.users.loading || page.users.busy
                visible: running
                implicitWidth: 40
                implicitHeight: 40
            }
            ToolButton {
                objectName: "inviteButton"
                text: qsTr("Invite")
                visible: page.admin
                implicitHeight: 48
                Accessible.name: qsTr("Invite someone")
                onClicked: page.openInvite()
            }
            ToolButton {
                text: qsTr("Refresh")
                implicitHeight: 48
                enabled: !page.users.loading
                Accessible.name: qsTr("Refresh the list")
                onClicked: page.users.reload()
            }
        }
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 0

        Pane {
            objectName: "usersError"
            visible: page.users.error.length > 0 || page.actionError.length > 0
            Layout.fillWidth: true
            Material.background: "#fdecea"

            Label {
                width: parent.width
                text: page.actionError.length > 0 ? page.actionError : page.users.error
                color: "#8a1c12"
                wrapMode: Text.WordWrap
                font.pixelSize: 16
                Accessible.role: Accessible.AlertMessage
                Accessible.name: text
            }
        }

        ListView {
            id: list

            objectName: "usersList"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            model: page.users
            ScrollBar.vertical: ScrollBar {}

            delegate: ItemDelegate {
                id: row

                required property string userId
                required property string name
                required property string email
                required property string role
                required property string stores
                required property bool active
                required property bool isMe
                required property bool passwordSet
                required property bool setupPending
                required property var storeIds

                readonly property string status: !active ? qsTr("disabled")
                                                 : !passwordSet ? (setupPending ? qsTr("%1 · waiting for setup").arg(role)
                                                                                : qsTr("%1 · setup code expired").arg(role))
                                                 : role

                width: ListView.view.width
                implicitHeight: page.narrow ? 88 : 72
                Accessible.name: qsTr("%1, %2").arg(name).arg(status)
                onClicked: if (page.admin) manage()

                function manage() {
                    page.openManage(userId, name, role, storeIds, active, isMe)
                }

                contentItem: RowLayout {
                    spacing: 12

                    ColumnLayout {
                        Layout.fillWidth: true
                        spacing: 2

                        Label {
                            text: row.name + (row.isMe ? qsTr(" (you)") : "")
                            font.pixelSize: 18
                            opacity: row.active ? 1.0 : 0.5
                            elide: Text.ElideRight
                            Layout.fillWidth: true
                        }
                        Label {
                            text: row.email + (row.stores.length > 0 ? " · " + row.stores : "")
                            font.pixelSize: 14
                            opacity: 0.7
                            elide: Text.ElideRight
                            Layout.fillWidth: true
                        }
                        Label {
                            visible: page.narrow
                            text: row.status
                            font.pixelSize: 14
                            color: row.active ? Material.foreground : "#8a1c12"
                        }
                    }
                    Label {
                        visible: !page.narrow
                        text: row.status
                        font.pixelSize: 14
                        color: row.active ? Material.foreground : "#8a1c12"
                    }
                    Button {
                        objectName: "manage_" + row.email
                        visible: page.admin
                        text: qsTr("Manage")
                        flat: true
                        implicitHeight: 48
                        Accessible.name: qsTr("Manage %1's account").arg(row.name)
                        onClicked: row.manage()
                    }
                }
            }

            Label {
                anchors.centerIn: parent
                visible: list.count === 0 && !page.users.loading && page.users.error.length === 0
                text: qsTr("Nobody to show")
                opacity: 0.6
                font.pixelSize: 16
            }
        }
    }

    // Stores to pick from, one switch each; `selected` holds the ids switched on, in the list's
    // order (by code).
    component StorePicker: ColumnLayout {
        id: picker

        required property StoresModel stores
        property var selected: []

        function toggle(storeId, on) {
            const rest = selected.filter(id => id !== storeId)
            selected = on ? rest.concat([storeId]) : rest
        }
        // The selection in the list's order, so the first is the home store of a new person.
        function ordered() {
            const out = []
            for (let i = 0; i < stores.count; ++i) {
                const id = stores.data(stores.index(i, 0), StoresModel.StoreIdRole)
                if (selected.indexOf(id) >= 0)
                    out.push(id)
            }
            return out
        }

        spacing: 0

        Label {
            text: qsTr("Stores")
            font.pixelSize: 14
            opacity: 0.7
        }
        Label {
            visible: picker.stores.count === 0
            text: qsTr("No stores on this device yet: wait for it to sync, then try again.")
            wrapMode: Text.WordWrap
            font.pixelSize: 14
            Layout.fillWidth: true
        }
        ListView {
            objectName: "storePicker"
            model: picker.stores
            clip: true
            interactive: contentHeight > height
            implicitHeight: Math.min(contentHeight, 5 * 48)
            Layout.fillWidth: true
            ScrollBar.vertical: ScrollBar {}

            delegate: Switch {
                required property string storeId
                required property string label

                width: ListView.view.width
                implicitHeight: 48
                text: label
                checked: picker.selected.indexOf(storeId) >= 0
                Accessible.name: qsTr("Works at %1").arg(label)
                onToggled: picker.toggle(storeId, checked)
            }
        }
    }

    component FieldLabel: Label {
        font.pixelSize: 14
        opacity: 0.7
    }

    readonly property var roleNames: [qsTr("staff"), qsTr("manager"), qsTr("executive"), qsTr("admin")]
    readonly property var roleValues: ["staff", "manager", "executive", "admin"]

    Dialog {
        id: inviteDialog

        readonly property bool needsStore: roleBox.currentIndex <= 1
        readonly property bool ready: inviteEmail.text.trim().indexOf("@") > 0
                                      && inviteName.text.trim().length > 0
                                      && (!needsStore || invitePicker.selected.length > 0)

        function reset() {
            inviteEmail.text = ""
            inviteName.text = ""
            roleBox.currentIndex = 0
            invitePicker.selected = []
        }

        objectName: "inviteDialog"
        anchors.centerIn: parent
        width: Math.min(page.width - 32, 520)
        height: Math.min(implicitHeight, page.height - 32)
        modal: true
        title: qsTr("Invite someone")

        contentItem: Flickable {
            contentHeight: inviteColumn.implicitHeight
            clip: true
            boundsBehavior: Flickable.StopAtBounds
            implicitHeight: inviteColumn.implicitHeight

            ColumnLayout {
                id: inviteColumn

                width: parent.width
                spacing: 8

                FieldLabel { text: qsTr("E-mail") }
                TextField {
                    id: inviteEmail

                    objectName: "inviteEmail"
                    Layout.fillWidth: true
                    implicitHeight: 56
                    font.pixelSize: 17
                    placeholderText: qsTr("name@company.com")
                    inputMethodHints: Qt.ImhEmailCharactersOnly | Qt.ImhNoAutoUppercase
                    Accessible.name: qsTr("E-mail of the person to invite")
                }
                FieldLabel { text: qsTr("Name") }
                TextField {
                    id: inviteName

                    objectName: "inviteName"
                    Layout.fillWidth: true
                    implicitHeight: 56
                    font.pixelSize: 17
                    placeholderText: qsTr("As colleagues see it")
                    Accessible.name: qsTr("Name of the person to invite")
                }
                FieldLabel { text: qsTr("Role") }
                ChoiceBox {
                    id: roleBox

                    objectName: "inviteRole"
                    Layout.fillWidth: true
                    model: page.roleNames
                    Accessible.name: qsTr("Role of the person to invite")
                }
                StorePicker {
                    id: invitePicker

                    objectName: "invitePicker"
                    stores: allStores

                    Layout.fillWidth: true
                    Layout.topMargin: 8
                }
                Label {
                    visible: inviteDialog.needsStore && invitePicker.selected.length === 0
                    text: qsTr("Staff and managers need at least one store. The first one is their home store.")
                    wrapMode: Text.WordWrap
                    font.pixelSize: 14
                    color: "#8a5a00"
                    Layout.fillWidth: true
                }
            }
        }

        footer: DialogButtonBox {
            Button {
                text: qsTr("Cancel")
                flat: true
                implicitHeight: 48
                Accessible.name: qsTr("Cancel the invite")
                DialogButtonBox.buttonRole: DialogButtonBox.RejectRole
            }
            Button {
                objectName: "sendInvite"
                text: qsTr("Invite")
                highlighted: true
                enabled: inviteDialog.ready && !page.users.busy
                implicitHeight: 48
                Accessible.name: qsTr("Invite and show the setup code")
                DialogButtonBox.buttonRole: DialogButtonBox.AcceptRole
            }
        }

        onAccepted: {
            const stores = invitePicker.ordered()
            page.users.invite(inviteEmail.text.trim(), inviteName.text.trim(),
                              page.roleValues[roleBox.currentIndex], stores,
                              stores.length > 0 ? stores[0] : "", [])
        }
    }

    // One person's account: name, role and stores, and what else an admin may do with it.
    Dialog {
        id: manageDialog

        property string userId: ""
        property string who: ""
        property string originalRole: ""
        property var originalStores: []
        property bool active: true
        property bool isMe: false

        function reset() {
            manageName.text = who
            manageRole.currentIndex = Math.max(0, page.roleValues.indexOf(originalRole))
            managePicker.selected = originalStores.slice()
        }
        function sameStores() {
            const now = managePicker.selected
            return now.length === originalStores.length
                    && now.every(id => originalStores.indexOf(id) >= 0)
        }

        objectName: "manageDialog"
        anchors.centerIn: parent
        width: Math.min(page.width - 32, 560)
        height: Math.min(implicitHeight, page.height - 32)
        modal: true
        title: qsTr("%1's account").arg(who)

        contentItem: Flickable {
            contentHeight: manageColumn.implicitHeight
            clip: true
            boundsBehavior: Flickable.StopAtBounds
            implicitHeight: manageColumn.implicitHeight

            ColumnLayout {
                id: manageColumn

                width: parent.width
                spacing: 8

                FieldLabel { text: qsTr("Name") }
                TextField {
                    id: manageName

                    objectName: "manageName"
                    Layout.fillWidth: true
                    implicitHeight: 56
                    font.pixelSize: 17
                    Accessible.name: qsTr("Name")
                }
                FieldLabel { text: qsTr("Role") }
                ChoiceBox {
                    id: manageRole

                    objectName: "manageRole"
                    Layout.fillWidth: true
                    model: page.roleNames
                    enabled: !manageDialog.isMe
                    Accessible.name: qsTr("Role")
                }
                Label {
                    visible: manageDialog.isMe
                    text: qsTr("You cannot change your own role; another admin can.")
                    wrapMode: Text.WordWrap
                    font.pixelSize: 14
                    opacity: 0.8
                    Layout.fillWidth: true
                }
                Label {
                    visible: !manageDialog.isMe && page.roleValues[manageRole.currentIndex] !== manageDialog.originalRole
                    text: qsTr("A new role signs them out on every device; they sign in again to see what it allows.")
                    wrapMode: Text.WordWrap
                    font.pixelSize: 14
                    color: "#8a5a00"
                    Layout.fillWidth: true
                }
                StorePicker {
                    id: managePicker

                    objectName: "managePicker"
                    stores: allStores

                    Layout.fillWidth: true
                    Layout.topMargin: 8
                }
                Button {
                    objectName: "saveUser"
                    text: qsTr("Save changes")
                    highlighted: true
                    implicitHeight: 48
                    enabled: !page.users.busy && manageName.text.trim().length > 0
                             && (manageName.text.trim() !== manageDialog.who
                                 || page.roleValues[manageRole.currentIndex] !== manageDialog.originalRole
                                 || !manageDialog.sameStores())
                    Accessible.name: qsTr("Save the changes to %1's account").arg(manageDialog.who)
                    onClicked: {
                        const changes = {}
                        if (manageName.text.trim() !== manageDialog.who)
                            changes.displayName = manageName.text.trim()
                        if (page.roleValues[manageRole.currentIndex] !== manageDialog.originalRole)
                            changes.role = page.roleValues[manageRole.currentIndex]
                        if (!manageDialog.sameStores())
                            changes.storeIds = managePicker.ordered()
                        page.users.update(manageDialog.userId, changes)
                        manageDialog.close()
                    }
                }

                Rectangle {
                    color: "#dde3ea"
                    implicitHeight: 1
                    Layout.fillWidth: true
                    Layout.topMargin: 8
                    Layout.bottomMargin: 8
                }

                Flow {
                    visible: !manageDialog.isMe
                    spacing: 8
                    Layout.fillWidth: true

                    Button {
                        objectName: "resetPassword"
                        text: qsTr("Reset password…")
                        implicitHeight: 48
                        Accessible.name: qsTr("Reset %1's password").arg(manageDialog.who)
                        onClicked: {
                            manageDialog.close()
                            confirmReset.userId = manageDialog.userId
                            confirmReset.who = manageDialog.who
                            confirmReset.open()
                        }
                    }
                    Button {
                        objectName: "disableUser"
                        visible: manageDialog.active
                        text: qsTr("Disable…")
                        implicitHeight: 48
                        Accessible.name: qsTr("Disable %1's account").arg(manageDialog.who)
                        onClicked: {
                            manageDialog.close()
                            confirm.userId = manageDialog.userId
                            confirm.who = manageDialog.who
                            confirm.open()
                        }
                    }
                    Button {
                        objectName: "enableUser"
                        visible: !manageDialog.active
                        text: qsTr("Enable")
                        implicitHeight: 48
                        Accessible.name: qsTr("Enable %1's account").arg(manageDialog.who)
                        onClicked: {
                            page.users.enable(manageDialog.userId)
                            manageDialog.close()
                        }
                    }
                }
            }
        }

        footer: DialogButtonBox {
            Button {
                text: qsTr("Close")
                flat: true
                implicitHeight: 48
                Accessible.name: qsTr("Close without saving")
                DialogButtonBox.buttonRole: DialogButtonBox.RejectRole
            }
        }
    }

    Dialog {
        id: confirm

        property string userId: ""
        property string who: ""

        anchors.centerIn: parent
        modal: true
        title: qsTr("Disable %1?").arg(who)
        standardButtons: Dialog.Cancel | Dialog.Ok

        Label {
            text: qsTr("They are signed out on every device at once and cannot sign in again until an admin enables the account.")
            wrapMode: Text.WordWrap
            width: Math.min(page.width - 96, 420)
        }

        // By id: the list may have been reloaded meanwhile.
        onAccepted: page.users.disable(page.users.rowOf(userId))
    }

    Dialog {
        id: confirmReset

        property string userId: ""
        property string who: ""

        objectName: "confirmReset"
        anchors.centerIn: parent
        modal: true
        title: qsTr("Reset %1's password?").arg(who)
        standardButtons: Dialog.Cancel | Dialog.Ok

        Label {
            text: qsTr("Their password stops working and they are signed out on every device at once. You get a new setup code to give them; with it they choose a new password.")
            wrapMode: Text.WordWrap
            width: Math.min(page.width - 96, 420)
        }

        onAccepted: page.users.resetPassword(userId)
    }

    // The one-time code: shown here once, never stored on the device.
    Dialog {
        id: codeDialog

        property string who: ""
        property string code: ""
        property string expiresAt: ""

        objectName: "codeDialog"
        anchors.centerIn: parent
        width: Math.min(page.width - 32, 520)
        modal: true
        closePolicy: Popup.NoAutoClose
        title: qsTr("Setup code for %1").arg(who)

        onClosed: {
            code = ""
            codeField.text = ""
        }

        ColumnLayout {
            width: parent.width
            spacing: 12

            Label {
                objectName: "shownOnce"
                text: qsTr("This code is shown only once. Write it down or copy it now.")
                font.pixelSize: 16
                font.weight: Font.DemiBold
                color: "#8a1c12"
                wrapMode: Text.WordWrap
                Layout.fillWidth: true
                Accessible.role: Accessible.AlertMessage
                Accessible.name: text
            }
            RowLayout {
                spacing: 8
                Layout.fillWidth: true

                TextField {
                    id: codeField

                    objectName: "setupCode"
                    text: codeDialog.code
                    readOnly: true
                    selectByMouse: true
                    font.pixelSize: 26
                    font.family: "monospace"
                    font.letterSpacing: 2
                    horizontalAlignment: TextInput.AlignHCenter
                    implicitHeight: 64
                    Layout.fillWidth: true
                    Accessible.name: qsTr("Setup code %1").arg(codeDialog.code.split("").join(" "))
                }
                Button {
                    id: copyButton

                    property bool copied: false

                    objectName: "copyCode"
                    text: copied ? qsTr("Copied") : qsTr("Copy")
                    implicitHeight: 56
                    Accessible.name: qsTr("Copy the setup code")
                    onClicked: {
                        codeField.selectAll()
                        codeField.copy()
                        codeField.deselect()
                        copied = true
                    }
                    Connections {
                        target: codeDialog

                        function onOpened() {
                            copyButton.copied = false
                        }
                    }
                }
            }
            Label {
                text: qsTr("Give it to %1 in person or by phone. On the sign-in screen they choose “I have a setup code” and enter the company code, their e-mail, this code and a new password. It works once, until %2.")
                      .arg(codeDialog.who)
                      .arg(new Date(codeDialog.expiresAt).toLocaleString(Qt.locale(), Locale.ShortFormat))
                wrapMode: Text.WordWrap
                font.pixelSize: 15
                Layout.fillWidth: true
            }
        }

        footer: DialogButtonBox {
            Button {
                objectName: "codeDone"
                text: qsTr("Done")
                highlighted: true
                implicitHeight: 48
                Accessible.name: qsTr("Close the setup code; it cannot be shown again")
                DialogButtonBox.buttonRole: DialogButtonBox.AcceptRole
            }
        }
    }
}
