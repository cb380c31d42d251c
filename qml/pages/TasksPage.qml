import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts
import CallCommander.Core

// The store's callbacks and follow-ups, from the device's offline cache: they are here without a
// connection, and marking one done works offline too (it is sent when the network is back).
Page {
    id: page

    title: qsTr("Callbacks and follow-ups")

    TasksModel {
        id: tasks

        sync: Sync
        showDone: showDoneSwitch.checked
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
                elide: Text.ElideRight
                Layout.fillWidth: true
            }
            Switch {
                id: showDoneSwitch

                objectName: "showDone"
                text: qsTr("Show done")
                Accessible.name: text
            }
        }
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 0

        Label {
            objectName: "taskError"
            visible: tasks.lastError.length > 0
            text: tasks.lastError
            color: "#8a1c12"
            wrapMode: Text.WordWrap
            padding: 12
            Layout.fillWidth: true
        }

        ListView {
            id: list

            objectName: "taskList"
            model: tasks
            clip: true
            Layout.fillWidth: true
            Layout.fillHeight: true

            delegate: ItemDelegate {
                id: row

                required property int index
                required property string title
                required property string kind
                required property string status
                required property date dueAt
                required property bool overdue
                required property string customerName

                width: ListView.view.width
                implicitHeight: 72

                contentItem: RowLayout {
                    spacing: 16

                    ColumnLayout {
                        spacing: 2
                        Layout.fillWidth: true

                        Label {
                            text: row.title
                            font.pixelSize: 18
                            font.strikeout: row.status !== "open"
                            elide: Text.ElideRight
                            Layout.fillWidth: true
                        }
                        Label {
                            text: (row.kind === "callback" ? qsTr("Callback") : qsTr("Follow-up"))
                                  + (row.customerName.length > 0 ? " · " + row.customerName : "")
                                  + " · " + qsTr("due %1").arg(Qt.formatDateTime(row.dueAt, "ddd d MMM, HH:mm"))
                            color: row.overdue ? "#8a1c12" : "#555555"
                            font.pixelSize: 14
                            elide: Text.ElideRight
                            Layout.fillWidth: true
                        }
                    }
                    Button {
                        text: row.status === "open" ? qsTr("Done") : qsTr("Reopen")
                        implicitHeight: 48
                        Accessible.name: row.status === "open" ? qsTr("Mark %1 done").arg(row.title)
                                                               : qsTr("Reopen %1").arg(row.title)
                        onClicked: row.status === "open" ? tasks.markDone(row.index) : tasks.reopen(row.index)
                    }
                }
            }

            Label {
                anchors.centerIn: parent
                visible: list.count === 0 && !tasks.loading
                text: Sync.state === Sync.Online || Sync.lastSyncedAt.getTime() > 0
                      ? qsTr("Nothing to call back. Well done.")
                      : qsTr("Waiting for the first sync…")
                font.pixelSize: 18
                opacity: 0.7
            }
        }
    }
}
