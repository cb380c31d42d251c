import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts
import CallCommander.Core

// First screen: which server this device talks to. Stays usable whatever the network does.
Page {
    id: page

    signal connectRequested

    title: qsTr("Connect")

    ScrollView {
        anchors.fill: parent
        contentWidth: availableWidth

        ColumnLayout {
            width: Math.min(page.width - 48, 520)
            x: (page.width - width) / 2
            spacing: 20

            Item { Layout.preferredHeight: 32 }

            Label {
                text: qsTr("Call Commander")
                font.pixelSize: 34
                font.weight: Font.Bold
                color: Material.primary
                Layout.fillWidth: true
            }
            Label {
                text: qsTr("Every store's phone, one team. Connect this device to your company's server.")
                wrapMode: Text.WordWrap
                font.pixelSize: 18
                opacity: 0.8
                Layout.fillWidth: true
            }

            Label {
                text: qsTr("Server address")
                font.pixelSize: 16
                Layout.topMargin: 12
            }
            TextField {
                id: address

                objectName: "serverAddress"
                Layout.fillWidth: true
                implicitHeight: 56
                font.pixelSize: 18
                text: ServerConnection.url
                placeholderText: "wss://callcommander.example.com/ws"
                inputMethodHints: Qt.ImhUrlCharactersOnly | Qt.ImhNoAutoUppercase
                selectByMouse: true
                Accessible.name: qsTr("Server address")
                onAccepted: connectButton.clicked()
            }

            RowLayout {
                Layout.fillWidth: true
                spacing: 12

                Button {
                    id: connectButton

                    objectName: "connectButton"
                    text: ServerConnection.state === ServerConnection.Offline ? qsTr("Connect") : qsTr("Reconnect")
                    highlighted: true
                    implicitHeight: 56
                    font.pixelSize: 18
                    Layout.preferredWidth: 180
                    Accessible.name: qsTr("Connect to the server")
                    onClicked: {
                        ServerConnection.url = address.text.trim()
                        page.connectRequested()
                    }
                }
                Button {
                    text: qsTr("Stop")
                    flat: true
                    implicitHeight: 56
                    font.pixelSize: 18
                    visible: ServerConnection.state !== ServerConnection.Offline
                    Accessible.name: qsTr("Stop connecting")
                    onClicked: ServerConnection.disconnectFromServer()
                }
                BusyIndicator {
                    running: ServerConnection.state === ServerConnection.Connecting
                    visible: running
                    implicitHeight: 48
                    implicitWidth: 48
                }
            }

            Pane {
                objectName: "errorPane"
                visible: ServerConnection.lastError.length > 0
                Layout.fillWidth: true
                Material.background: "#fdecea"
                Material.elevation: 0

                Label {
                    width: parent.width
                    text: ServerConnection.lastError
                    wrapMode: Text.WordWrap
                    font.pixelSize: 16
                    color: "#8a1c12"
                    Accessible.name: qsTr("Connection problem: %1").arg(text)
                }
            }

            Label {
                text: qsTr("App version %1").arg(ServerConnection.clientVersion)
                font.pixelSize: 14
                opacity: 0.6
                Layout.topMargin: 24
            }
        }
    }
}
