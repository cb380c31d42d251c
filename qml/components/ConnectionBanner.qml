import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts
import CallCommander.Core

// The strip at the top of every screen that says, at a glance, whether this device is talking
// to the server. Pure presentation: it shows what it is given.
ToolBar {
    id: banner

    property int connectionState: ServerConnection.Offline
    property int retryInSeconds: 0
    property string serverNode: ""
    // Signed in on this device's vault while the server could not be reached: the password is
    // checked, and the device syncs, as soon as the server answers.
    property bool signedInOffline: false

    readonly property string message: {
        if (signedInOffline && connectionState !== ServerConnection.Connected)
            return qsTr("Signed in offline · changes are kept and sent when the server is back")
        switch (connectionState) {
        case ServerConnection.Connected:
            return serverNode.length > 0 ? qsTr("Online · %1").arg(serverNode) : qsTr("Online")
        case ServerConnection.Connecting:
            return qsTr("Connecting…")
        case ServerConnection.Reconnecting:
            return retryInSeconds > 0
                    ? qsTr("Offline · retrying in %n s", "", retryInSeconds)
                    : qsTr("Offline · reconnecting…")
        default:
            return qsTr("Not connected")
        }
    }
    readonly property color tone: {
        if (signedInOffline && connectionState !== ServerConnection.Connected)
            return "#b26a00"
        switch (connectionState) {
        case ServerConnection.Connected:
            return "#2e7d32"
        case ServerConnection.Connecting:
            return "#1565c0"
        case ServerConnection.Reconnecting:
            return "#b26a00"
        default:
            return "#546e7a"
        }
    }

    signal retryRequested

    implicitHeight: 56
    Material.foreground: "white"
    background: Rectangle {
        color: banner.tone
    }

    Accessible.role: Accessible.StatusBar
    Accessible.name: message

    RowLayout {
        anchors.fill: parent
        anchors.leftMargin: 16
        anchors.rightMargin: 8
        spacing: 12

        Rectangle {
            Layout.alignment: Qt.AlignVCenter
            width: 14
            height: 14
            radius: 7
            color: "white"
            opacity: banner.connectionState === ServerConnection.Connected ? 1.0 : 0.6
        }
        Label {
            objectName: "bannerText"
            Layout.fillWidth: true
            text: banner.message
            font.pixelSize: 20
            font.weight: Font.DemiBold
            elide: Text.ElideRight
            color: "white"
        }
        Button {
            objectName: "retryButton"
            visible: banner.connectionState === ServerConnection.Reconnecting
            text: qsTr("Retry now")
            flat: true
            implicitHeight: 48
            Material.foreground: "white"
            Accessible.name: qsTr("Retry connecting now")
            onClicked: banner.retryRequested()
        }
    }
}
