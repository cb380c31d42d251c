import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import CallCommander.Core

// Who answered the store's calls today: one row per person, most calls first, with their share
// of the store's answers as a bar.
ColumnLayout {
    id: table

    required property LiveStaffModel staff
    readonly property bool wide: width >= 640

    spacing: 0

    component Head: Label {
        font.pixelSize: 14
        font.weight: Font.DemiBold
        color: "#1f3a5f"
        horizontalAlignment: Text.AlignRight
        Layout.preferredWidth: 84
    }
    component Cell: Label {
        font.pixelSize: 16
        horizontalAlignment: Text.AlignRight
        Layout.preferredWidth: 84
    }

    Rectangle {
        color: "#eef2f6"
        radius: 6
        implicitHeight: 40
        Layout.fillWidth: true

        RowLayout {
            anchors.fill: parent
            anchors.leftMargin: 12
            anchors.rightMargin: 12
            spacing: 8

            Head { text: qsTr("Person"); horizontalAlignment: Text.AlignLeft; Layout.fillWidth: true }
            Head { text: qsTr("Answered"); Layout.preferredWidth: 76 }
            Head { text: qsTr("Share"); Layout.preferredWidth: 100 }
            Head { text: qsTr("ASA"); visible: table.wide; Layout.preferredWidth: 52 }
            Head { text: qsTr("AHT"); Layout.preferredWidth: 100 }
            Head { text: qsTr("FCR"); visible: table.wide; Layout.preferredWidth: 52 }
        }
    }

    ListView {
        id: rows

        objectName: "staffRows"
        model: table.staff
        interactive: false
        implicitHeight: contentHeight
        Layout.fillWidth: true
        Layout.preferredHeight: contentHeight

        delegate: ItemDelegate {
            id: row

            required property int index
            required property string name
            required property int answered
            required property double share
            required property string shareText
            required property string asaText
            required property string ahtText
            required property string fcrText

            width: ListView.view.width
            implicitHeight: 48
            padding: 0
            Accessible.role: Accessible.Row
            Accessible.name: qsTr("%1: %2 answered, %3 of the store's, handling time %4")
                             .arg(name).arg(answered).arg(shareText).arg(ahtText)
            background: Rectangle {
                color: row.index % 2 === 0 ? "white" : "#f7f9fb"
            }

            contentItem: RowLayout {
                spacing: 8

                Label {
                    text: row.name
                    font.pixelSize: 16
                    font.weight: Font.DemiBold
                    elide: Text.ElideRight
                    Layout.fillWidth: true
                    Layout.minimumWidth: 110
                    Layout.leftMargin: 12
                }
                Cell { text: row.answered; Layout.preferredWidth: 76 }
                Item {
                    implicitHeight: 20
                    Layout.preferredWidth: 100

                    Rectangle {
                        anchors.verticalCenter: parent.verticalCenter
                        width: parent.width * 0.5
                        height: 10
                        radius: 5
                        color: "#e0f2f1"

                        Rectangle {
                            width: parent.width * row.share
                            height: parent.height
                            radius: 5
                            color: "#00897b"
                        }
                    }
                    Label {
                        anchors.right: parent.right
                        anchors.verticalCenter: parent.verticalCenter
                        text: row.shareText
                        font.pixelSize: 15
                    }
                }
                Cell { text: row.asaText; visible: table.wide; Layout.preferredWidth: 52 }
                Cell { text: row.ahtText; Layout.preferredWidth: 100 }
                Cell { text: row.fcrText; visible: table.wide; Layout.preferredWidth: 52 }
                Item { Layout.preferredWidth: 4 }
            }
        }

        Label {
            anchors.centerIn: parent
            visible: rows.count === 0
            text: qsTr("Nobody has answered a call today yet")
            color: "#546e7a"
            font.pixelSize: 16
        }
    }

    Item {
        visible: rows.count === 0
        Layout.preferredHeight: 56
    }
}
