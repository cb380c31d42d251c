import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts
import CallCommander.Core

// The person's own presence at the top of the calls screen: one big switch between Available
// and Away, coloured so it reads from across the counter, with what the server knows they are
// doing ("On a call", "Wrap-up 0:12") and why a change did not happen.
Pane {
    id: bar

    required property Presence presence

    // What the person asked for while the server has not answered yet.
    property bool wanted: false

    readonly property bool showAvailable: presence.pending ? wanted : presence.available
    // Available, but calls cannot ring (no connected device, or this one is offline): amber, not
    // the green that says calls can come.
    readonly property bool unreachable: showAvailable && !presence.pending && !presence.online
    readonly property color tone: unreachable ? "#b26a00" : showAvailable ? "#2e7d32" : "#546e7a"

    padding: 12
    Material.elevation: 1
    background: Rectangle {
        color: bar.unreachable ? "#fff3e0" : bar.showAvailable ? "#e8f5e9" : "#eceff1"
        radius: 4

        Rectangle {
            width: 6
            height: parent.height
            radius: 3
            color: bar.tone
        }
    }

    Accessible.role: Accessible.Grouping
    Accessible.name: qsTr("Your presence")

    ColumnLayout {
        anchors.fill: parent
        spacing: 4

        RowLayout {
            spacing: 12
            Layout.fillWidth: true
            Layout.leftMargin: 8

            Rectangle {
                width: 18
                height: 18
                radius: 9
                color: bar.tone
                Layout.alignment: Qt.AlignVCenter
            }
            ColumnLayout {
                spacing: 2
                Layout.fillWidth: true

                Label {
                    objectName: "presenceStatus"
                    text: !bar.presence.known && !bar.presence.pending ? qsTr("Presence not known yet")
                          : bar.showAvailable ? qsTr("Available") : qsTr("Away")
                    font.pixelSize: 22
                    font.weight: Font.Bold
                    color: bar.tone
                    Layout.fillWidth: true
                    elide: Text.ElideRight
                }
                Label {
                    objectName: "presenceActivity"
                    text: bar.presence.pending ? qsTr("Telling the server…") : bar.presence.activityText
                    font.pixelSize: 15
                    color: "#37474f"
                    wrapMode: Text.WordWrap
                    Layout.fillWidth: true
                }
            }
            BusyIndicator {
                running: bar.presence.pending
                visible: running
                implicitWidth: 36
                implicitHeight: 36
            }
            Switch {
                id: toggle

                objectName: "presenceSwitch"
                checked: bar.showAvailable
                enabled: !bar.presence.pending
                text: qsTr("Take calls")
                font.pixelSize: 17
                implicitHeight: 56
                Material.accent: "#2e7d32"
                Accessible.name: checked ? qsTr("Available for calls; switch to away")
                                         : qsTr("Away; switch to available for calls")
                onToggled: {
                    bar.wanted = checked
                    bar.presence.setAvailable(checked)
                    // Show the server's answer, not the finger's: a refused change springs back.
                    checked = Qt.binding(() => bar.showAvailable)
                }
            }
        }
        Label {
            objectName: "presenceError"
            visible: bar.presence.error.length > 0
            text: bar.presence.error
            color: "#8a1c12"
            font.pixelSize: 15
            wrapMode: Text.WordWrap
            Layout.fillWidth: true
            Layout.leftMargin: 8
        }
    }
}
