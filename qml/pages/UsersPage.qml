import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts
import CallCommander.Core

// The people of the organisation (admin) or of the manager's stores. An admin can disable an
// account; the person is signed out everywhere at once.
Page {
    id: page

    readonly property bool canDisable: Session.role === "admin"

    title: qsTr("People")

    UsersModel {
        id: users

        session: Session
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
                Accessible.name: qsTr("Back")
                onClicked: page.StackView.view.pop()
            }
            Label {
                text: page.title
                font.pixelSize: 22
                font.weight: Font.DemiBold
                Layout.fillWidth: true
            }
            BusyIndicator {
                running: users.loading
                visible: running
                implicitWidth: 40
                implicitHeight: 40
            }
            ToolButton {
                text: qsTr("Refresh")
                implicitHeight: 48
                enabled: !users.loading
                Accessible.name: qsTr("Refresh the list")
                onClicked: users.reload()
            }
        }
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 0

        Pane {
            objectName: "usersError"
            visible: users.error.length > 0
            Layout.fillWidth: true
            Material.background: "#fdecea"

            Label {
                width: parent.width
                text: users.error
                color: "#8a1c12"
                wrapMode: Text.WordWrap
                font.pixelSize: 16
            }
        }

        ListView {
            id: list

            objectName: "usersList"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            model: users

            delegate: ItemDelegate {
                id: row

                required property int index
                required property string name
                required property string email
                required property string role
                required property string stores
                required property bool active
                required property bool isMe

                width: ListView.view.width
                implicitHeight: 72
                Accessible.name: qsTr("%1, %2, %3").arg(name).arg(role).arg(active ? qsTr("active") : qsTr("disabled"))

                contentItem: RowLayout {
                    spacing: 16

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
                    }
                    Label {
                        text: row.active ? row.role : qsTr("disabled")
                        font.pixelSize: 14
                        color: row.active ? Material.foreground : "#8a1c12"
                    }
                    Button {
                        visible: page.canDisable && row.active && !row.isMe
                        text: qsTr("Disable")
                        flat: true
                        implicitHeight: 48
                        Accessible.name: qsTr("Disable %1").arg(row.name)
                        onClicked: {
                            confirm.row = row.index
                            confirm.who = row.name
                            confirm.open()
                        }
                    }
                }
            }

            Label {
                anchors.centerIn: parent
                visible: list.count === 0 && !users.loading && users.error.length === 0
                text: qsTr("Nobody to show")
                opacity: 0.6
                font.pixelSize: 16
            }
        }
    }

    Dialog {
        id: confirm

        property int row: -1
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

        onAccepted: users.disable(row)
    }
}
