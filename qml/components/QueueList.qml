import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts
import CallCommander.Core

// The store's live queue: one large row per call, oldest first, with who is calling, where, what
// is happening to the call and for how long. The page's clock (`now`) moves the timers; the
// rows themselves only change when the call does.
ColumnLayout {
    id: queueView

    required property QueueModel queue
    property date now: new Date()

    spacing: 8

    // Waiting for someone: amber; ringing someone: blue; being answered: green.
    function toneOf(status, offeredTo) {
        if (status === "in_progress")
            return "#2e7d32"
        return offeredTo ? "#1565c0" : "#b26a00"
    }

    RowLayout {
        spacing: 12
        Layout.fillWidth: true

        Label {
            text: qsTr("Queue")
            font.pixelSize: 20
            font.weight: Font.DemiBold
            color: "#1f3a5f"
        }
        Label {
            objectName: "queueCounts"
            text: qsTr("%1 waiting · %2 in progress").arg(queueView.queue.waitingCount).arg(queueView.queue.inProgressCount)
            font.pixelSize: 15
            color: "#455a64"
            elide: Text.ElideRight
            Layout.fillWidth: true
        }
    }

    ListView {
        id: list

        objectName: "queueList"
        model: queueView.queue
        interactive: false
        spacing: 6
        implicitHeight: contentHeight
        Layout.fillWidth: true
        Layout.preferredHeight: contentHeight

        delegate: ItemDelegate {
            id: row

            required property string callId
            required property string fromNumber
            required property string customerName
            required property string storeName
            required property string status
            required property string stateText
            required property date startedAt
            required property date answeredAt
            required property bool offeredToMe
            required property bool offered
            required property string need

            readonly property string timer: status === "in_progress"
                                            ? queueView.queue.elapsed(answeredAt, queueView.now)
                                            : queueView.queue.elapsed(startedAt, queueView.now)
            readonly property color tone: queueView.toneOf(status, offered)

            width: ListView.view.width
            implicitHeight: 76
            padding: 0
            Accessible.role: Accessible.ListItem
            Accessible.name: qsTr("%1, %2, %3, %4").arg(customerName.length > 0 ? customerName : fromNumber)
                                                     .arg(storeName).arg(stateText).arg(timer)

            background: Rectangle {
                color: row.offeredToMe ? "#e3f2fd" : "white"
                border.color: "#cfd8dc"
                radius: 4

                Rectangle {
                    width: 6
                    height: parent.height
                    radius: 3
                    color: row.tone
                }
            }

            contentItem: RowLayout {
                spacing: 12

                Item { Layout.preferredWidth: 6 }

                ColumnLayout {
                    spacing: 2
                    Layout.fillWidth: true

                    Label {
                        text: row.customerName.length > 0 ? row.customerName : row.fromNumber
                        font.pixelSize: 19
                        font.weight: Font.DemiBold
                        elide: Text.ElideRight
                        Layout.fillWidth: true
                    }
                    Label {
                        // The store last: of the three it is the one to lose when space runs out.
                        text: [row.customerName.length > 0 ? row.fromNumber : qsTr("new caller"),
                               row.need, row.storeName].filter(s => s.length > 0).join(" · ")
                        font.pixelSize: 14
                        color: "#546e7a"
                        elide: Text.ElideRight
                        Layout.fillWidth: true
                    }
                }
                Label {
                    objectName: "queueState"
                    text: row.stateText
                    font.pixelSize: 15
                    font.weight: Font.DemiBold
                    color: row.tone
                    horizontalAlignment: Text.AlignRight
                    Layout.preferredWidth: Math.min(160, queueView.width / 4)
                    elide: Text.ElideRight
                }
                Label {
                    objectName: "queueTimer"
                    text: row.timer
                    font.pixelSize: 22
                    font.weight: Font.Bold
                    color: "#263238"
                    horizontalAlignment: Text.AlignRight
                    Layout.preferredWidth: 72
                    Layout.rightMargin: 12
                }
            }
        }
    }

    Label {
        objectName: "queueEmpty"
        visible: list.count === 0
        text: qsTr("No calls waiting. The queue is clear.")
        font.pixelSize: 17
        color: "#607d8b"
        horizontalAlignment: Text.AlignHCenter
        Layout.fillWidth: true
        Layout.topMargin: 12
        Layout.bottomMargin: 12
    }
}
