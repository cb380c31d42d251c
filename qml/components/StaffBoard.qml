import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts
import CallCommander.Core

// Who in the stores can take a call and who is busy with which. Managers get the full board (a
// row per person with what they are doing and for how long); staff a compact strip of names and
// coloured dots, enough to see whether a colleague is free.
ColumnLayout {
    id: boardView

    required property StaffBoardModel board
    property bool compact: false
    property date now: new Date()

    spacing: 8

    function toneOf(status, activity, online, paused) {
        if (activity === "ringing")
            return "#1565c0"
        if (activity === "on_call")
            return "#6a1b9a"
        if (activity === "wrap_up" || (paused && status === "available"))
            return "#b26a00"
        if (status === "available" && online)
            return "#2e7d32"
        return "#607d8b"
    }
    function minutesSince(when) {
        if (!when || isNaN(when.getTime()))
            return ""
        const minutes = Math.max(0, Math.floor((boardView.now.getTime() - when.getTime()) / 60000))
        return minutes < 1 ? qsTr("just now") : qsTr("%1 min").arg(minutes)
    }

    RowLayout {
        spacing: 12
        Layout.fillWidth: true

        Label {
            text: qsTr("Staff")
            font.pixelSize: 20
            font.weight: Font.DemiBold
            color: "#1f3a5f"
        }
        Label {
            objectName: "staffCounts"
            text: qsTr("%1 free to take a call").arg(boardView.board.availableCount)
            font.pixelSize: 15
            color: "#455a64"
            elide: Text.ElideRight
            Layout.fillWidth: true
        }
    }

    // Staff: chips that wrap onto as many lines as the width needs.
    Flow {
        objectName: "staffStrip"
        visible: boardView.compact
        spacing: 8
        Layout.fillWidth: true

        Repeater {
            id: chips

            model: boardView.compact ? boardView.board : null

            delegate: Rectangle {
                id: chip

                required property string name
                required property string status
                required property string activity
                required property bool online
                required property bool isMe
                required property bool paused
                required property string stateText

                width: chipRow.implicitWidth + 24
                height: 48
                radius: 24
                color: "#f5f7f8"
                border.color: "#cfd8dc"
                Accessible.role: Accessible.StaticText
                Accessible.name: qsTr("%1: %2").arg(chip.name).arg(chip.stateText)

                RowLayout {
                    id: chipRow

                    anchors.centerIn: parent
                    spacing: 8

                    Rectangle {
                        width: 12
                        height: 12
                        radius: 6
                        color: boardView.toneOf(chip.status, chip.activity, chip.online, chip.paused)
                    }
                    Label {
                        text: chip.isMe ? qsTr("%1 (you)").arg(chip.name) : chip.name
                        font.pixelSize: 15
                        font.weight: Font.DemiBold
                    }
                    Label {
                        text: chip.stateText
                        font.pixelSize: 13
                        color: "#546e7a"
                    }
                }
            }
        }
    }

    // Managers: the full board.
    ListView {
        id: list

        objectName: "staffList"
        visible: !boardView.compact
        model: boardView.compact ? null : boardView.board
        interactive: false
        implicitHeight: contentHeight
        Layout.fillWidth: true
        Layout.preferredHeight: visible ? contentHeight : 0

        delegate: ItemDelegate {
            id: person

            required property string name
            required property string role
            required property string status
            required property string activity
            required property bool online
            required property bool isMe
            required property bool paused
            required property string stateText
            required property date idleSince

            readonly property bool free: status === "available" && online && activity === "idle" && !paused
            readonly property color tone: boardView.toneOf(status, activity, online, paused)

            width: ListView.view.width
            implicitHeight: 60
            leftPadding: 4
            Accessible.role: Accessible.ListItem
            Accessible.name: qsTr("%1: %2").arg(person.name).arg(person.stateText)

            contentItem: RowLayout {
                spacing: 12

                Rectangle {
                    width: 14
                    height: 14
                    radius: 7
                    color: person.tone
                    Layout.alignment: Qt.AlignVCenter
                }
                ColumnLayout {
                    spacing: 0
                    Layout.fillWidth: true

                    Label {
                        text: person.isMe ? qsTr("%1 (you)").arg(person.name) : person.name
                        font.pixelSize: 17
                        font.weight: Font.DemiBold
                        elide: Text.ElideRight
                        Layout.fillWidth: true
                    }
                    Label {
                        text: person.role === "manager" ? qsTr("Manager · %1").arg(person.stateText)
                                                        : person.stateText
                        font.pixelSize: 14
                        color: person.tone
                        elide: Text.ElideRight
                        Layout.fillWidth: true
                    }
                }
                Label {
                    visible: person.free
                    text: qsTr("idle %1").arg(boardView.minutesSince(person.idleSince))
                    font.pixelSize: 14
                    color: "#546e7a"
                }
            }
        }
    }

    Label {
        objectName: "staffEmpty"
        visible: (boardView.compact ? chips.count : list.count) === 0
        text: qsTr("Nobody of your stores is on the board yet.")
        font.pixelSize: 16
        color: "#607d8b"
        Layout.fillWidth: true
    }
}
