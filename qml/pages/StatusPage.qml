import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts
import CallCommander.Core

// Who is signed in on this device and what it is connected to. Stays while the connection drops
// and comes back (the banner says which).
Page {
    id: page

    signal signOutRequested
    signal peopleRequested
    signal auditRequested

    title: qsTr("This device")

    ScrollView {
        anchors.fill: parent
        contentWidth: availableWidth

        ColumnLayout {
            width: Math.min(page.width - 48, 640)
            x: (page.width - width) / 2
            spacing: 16

            Item { Layout.preferredHeight: 16 }

            Label {
                objectName: "userName"
                text: Session.userName
                font.pixelSize: 30
                font.weight: Font.Bold
                color: Material.primary
                Layout.fillWidth: true
                elide: Text.ElideRight
            }
            Label {
                objectName: "roleLine"
                text: qsTr("%1 · %2").arg(Session.role.charAt(0).toUpperCase() + Session.role.slice(1))
                                      .arg(Session.organisationName)
                font.pixelSize: 18
                opacity: 0.8
            }
            Label {
                objectName: "stores"
                visible: Session.storeNames.length > 0
                text: Session.storeNames.length === 1 ? Session.storeNames[0]
                                                      : qsTr("%n stores: ", "", Session.storeNames.length) + Session.storeNames.join(", ")
                wrapMode: Text.WordWrap
                font.pixelSize: 16
                Layout.fillWidth: true
            }

            GridLayout {
                columns: 2
                columnSpacing: 24
                rowSpacing: 10
                Layout.fillWidth: true
                Layout.topMargin: 12

                Label { text: qsTr("Server"); font.pixelSize: 16; opacity: 0.7 }
                Label {
                    objectName: "serverUrl"
                    text: ServerConnection.url
                    font.pixelSize: 16
                    elide: Text.ElideMiddle
                    Layout.fillWidth: true
                }
                Label { text: qsTr("Server node"); font.pixelSize: 16; opacity: 0.7 }
                Label { objectName: "serverNode"; text: ServerConnection.serverNode; font.pixelSize: 16 }
                Label { text: qsTr("Server version"); font.pixelSize: 16; opacity: 0.7 }
                Label { text: ServerConnection.serverVersion; font.pixelSize: 16 }
                Label { text: qsTr("Protocol"); font.pixelSize: 16; opacity: 0.7 }
                Label { text: ServerConnection.protocolVersion; font.pixelSize: 16 }
                Label { text: qsTr("App version"); font.pixelSize: 16; opacity: 0.7 }
                Label { text: ServerConnection.clientVersion; font.pixelSize: 16 }
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
                objectName: "peopleButton"
                visible: Session.role === "admin" || Session.role === "manager"
                text: Session.role === "admin" ? qsTr("People of the organisation") : qsTr("People of my stores")
                implicitHeight: 56
                font.pixelSize: 18
                Layout.topMargin: 16
                Accessible.name: text
                onClicked: page.peopleRequested()
            }

            Button {
                objectName: "auditButton"
                visible: Session.role === "admin"
                text: qsTr("Audit log")
                implicitHeight: 56
                font.pixelSize: 18
                Accessible.name: text
                onClicked: page.auditRequested()
            }

            Button {
                objectName: "signOutButton"
                text: qsTr("Sign out")
                implicitHeight: 56
                font.pixelSize: 18
                Layout.topMargin: 16
                Accessible.name: qsTr("Sign out of this device")
                onClicked: page.signOutRequested()
            }
        }
    }
}
