import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts
import CallCommander.Core

// The organisation's audit log, newest first. Read-only: nobody can change it.
Page {
    id: page

    title: qsTr("Audit log")

    AuditModel {
        id: audit

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
                running: audit.loading
                visible: running
                implicitWidth: 40
                implicitHeight: 40
            }
            ToolButton {
                text: qsTr("Refresh")
                implicitHeight: 48
                enabled: !audit.loading
                Accessible.name: qsTr("Refresh the audit log")
                onClicked: audit.reload()
            }
        }
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 0

        Pane {
            objectName: "auditError"
            visible: audit.error.length > 0
            Layout.fillWidth: true
            Material.background: "#fdecea"

            Label {
                width: parent.width
                text: audit.error
                color: "#8a1c12"
                wrapMode: Text.WordWrap
                font.pixelSize: 16
            }
        }

        ListView {
            id: list

            objectName: "auditList"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            model: audit

            delegate: ItemDelegate {
                id: entry

                // Role names avoid "action", which every button already has.
                required property string when
                required property string what
                required property string who
                required property string target

                width: ListView.view.width
                implicitHeight: 64
                Accessible.name: qsTr("%1 at %2").arg(what).arg(when)

                contentItem: ColumnLayout {
                    spacing: 2

                    Label {
                        text: entry.what + (entry.target.length > 0 ? " · " + entry.target : "")
                        font.pixelSize: 16
                        elide: Text.ElideRight
                        Layout.fillWidth: true
                    }
                    Label {
                        text: entry.when + (entry.who.length > 0 ? qsTr(" · by %1").arg(entry.who) : "")
                        font.pixelSize: 13
                        opacity: 0.7
                        elide: Text.ElideRight
                        Layout.fillWidth: true
                    }
                }
            }

            Label {
                anchors.centerIn: parent
                visible: list.count === 0 && !audit.loading && audit.error.length === 0
                text: qsTr("Nothing recorded yet")
                opacity: 0.6
                font.pixelSize: 16
            }
        }
    }
}
