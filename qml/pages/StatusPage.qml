import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts
import CallCommander.Core

// What this device is connected to. Shown once the server has welcomed it; stays while the
// connection drops and comes back (the banner says which).
Page {
    id: page

    signal disconnectRequested

    title: qsTr("Server")

    ColumnLayout {
        width: Math.min(page.width - 48, 640)
        x: (page.width - width) / 2
        y: 32
        spacing: 16

        Label {
            text: qsTr("This device")
            font.pixelSize: 30
            font.weight: Font.Bold
            color: Material.primary
        }

        GridLayout {
            columns: 2
            columnSpacing: 24
            rowSpacing: 12
            Layout.fillWidth: true

            Label { text: qsTr("Server"); font.pixelSize: 18; opacity: 0.7 }
            Label {
                objectName: "serverUrl"
                text: ServerConnection.url
                font.pixelSize: 18
                elide: Text.ElideMiddle
                Layout.fillWidth: true
            }
            Label { text: qsTr("Server node"); font.pixelSize: 18; opacity: 0.7 }
            Label { objectName: "serverNode"; text: ServerConnection.serverNode; font.pixelSize: 18 }
            Label { text: qsTr("Server version"); font.pixelSize: 18; opacity: 0.7 }
            Label { text: ServerConnection.serverVersion; font.pixelSize: 18 }
            Label { text: qsTr("Protocol"); font.pixelSize: 18; opacity: 0.7 }
            Label { text: ServerConnection.protocolVersion; font.pixelSize: 18 }
            Label { text: qsTr("App version"); font.pixelSize: 18; opacity: 0.7 }
            Label { text: ServerConnection.clientVersion; font.pixelSize: 18 }
        }

        Label {
            visible: ServerConnection.lastError.length > 0
            text: ServerConnection.lastError
            wrapMode: Text.WordWrap
            font.pixelSize: 16
            color: "#8a1c12"
            Layout.fillWidth: true
        }

        Button {
            text: qsTr("Disconnect")
            implicitHeight: 56
            font.pixelSize: 18
            Layout.topMargin: 16
            Accessible.name: qsTr("Disconnect from the server")
            onClicked: page.disconnectRequested()
        }
    }
}
