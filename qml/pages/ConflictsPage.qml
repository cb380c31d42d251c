import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts
import CallCommander.Core

// Changes made on this device that the server did not keep, with the reason: nothing anyone
// typed disappears without a word.
Page {
    id: page

    title: qsTr("Changes not kept")

    ConflictsModel {
        id: conflicts

        sync: Sync
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
        }
    }

    ListView {
        id: list

        objectName: "conflictList"
        anchors.fill: parent
        model: conflicts
        clip: true

        delegate: ItemDelegate {
            id: row

            required property int index
            required property bool refused
            required property string what
            required property string reason
            required property var fields
            required property date at

            width: ListView.view.width
            implicitHeight: Math.max(80, content.implicitHeight + 24)

            contentItem: RowLayout {
                id: content

                spacing: 16

                ColumnLayout {
                    spacing: 4
                    Layout.fillWidth: true

                    Label {
                        text: row.refused ? qsTr("Your change to %1 was refused and undone").arg(row.what)
                                          : qsTr("A later change to %1 was kept instead of yours").arg(row.what)
                        font.pixelSize: 17
                        font.weight: Font.DemiBold
                        wrapMode: Text.WordWrap
                        Layout.fillWidth: true
                    }
                    Label {
                        text: row.reason
                        font.pixelSize: 15
                        wrapMode: Text.WordWrap
                        Layout.fillWidth: true
                    }
                    Label {
                        text: (row.fields.length > 0 ? qsTr("Fields: %1").arg(row.fields.join(", ")) + " · " : "")
                              + Qt.formatDateTime(row.at, "ddd d MMM, HH:mm")
                        font.pixelSize: 13
                        opacity: 0.7
                        Layout.fillWidth: true
                    }
                }
                Button {
                    text: qsTr("Dismiss")
                    implicitHeight: 48
                    Accessible.name: qsTr("Dismiss this notice")
                    onClicked: conflicts.dismiss(row.index)
                }
            }
        }

        Label {
            anchors.centerIn: parent
            visible: list.count === 0 && !conflicts.loading
            text: qsTr("Every change made on this device was kept.")
            font.pixelSize: 18
            opacity: 0.7
        }
    }
}
