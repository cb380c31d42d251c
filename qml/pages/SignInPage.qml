import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts
import CallCommander.Core

// First screen: which server this device talks to, and who is signing in. Stays usable
// whatever the network does; every failure is said in words.
Page {
    id: page

    readonly property bool busy: Session.state === Session.SigningIn

    function submit() {
        ServerConnection.url = address.text.trim()
        Session.organisation = organisation.text.trim()
        Session.email = email.text.trim()
        Session.signIn(password.text)
        password.text = ""
    }

    title: qsTr("Sign in")

    Component {
        id: setPasswordPage

        SetPasswordPage {}
    }

    ScrollView {
        anchors.fill: parent
        contentWidth: availableWidth

        ColumnLayout {
            width: Math.min(page.width - 48, 520)
            x: (page.width - width) / 2
            spacing: 14

            Item { Layout.preferredHeight: 24 }

            Label {
                text: qsTr("Call Commander")
                font.pixelSize: 34
                font.weight: Font.Bold
                color: Material.primary
                Layout.fillWidth: true
            }
            Label {
                text: qsTr("Every store's phone, one team. Sign in with your work account.")
                wrapMode: Text.WordWrap
                font.pixelSize: 18
                opacity: 0.8
                Layout.fillWidth: true
            }

            Label {
                text: qsTr("Company code")
                font.pixelSize: 14
                opacity: 0.7
                Layout.topMargin: 8
            }
            TextField {
                id: organisation

                objectName: "organisation"
                Layout.fillWidth: true
                implicitHeight: 56
                font.pixelSize: 18
                text: Session.organisation
                placeholderText: qsTr("Company code")
                inputMethodHints: Qt.ImhNoAutoUppercase | Qt.ImhNoPredictiveText
                enabled: !page.busy
                Accessible.name: qsTr("Company code")
                onAccepted: email.forceActiveFocus()
            }
            Label {
                text: qsTr("E-mail")
                font.pixelSize: 14
                opacity: 0.7
            }
            TextField {
                id: email

                objectName: "email"
                Layout.fillWidth: true
                implicitHeight: 56
                font.pixelSize: 18
                text: Session.email
                placeholderText: qsTr("E-mail")
                inputMethodHints: Qt.ImhEmailCharactersOnly | Qt.ImhNoAutoUppercase
                enabled: !page.busy
                Accessible.name: qsTr("E-mail")
                onAccepted: password.forceActiveFocus()
            }
            Label {
                text: qsTr("Password")
                font.pixelSize: 14
                opacity: 0.7
            }
            TextField {
                id: password

                objectName: "password"
                Layout.fillWidth: true
                implicitHeight: 56
                font.pixelSize: 18
                placeholderText: qsTr("Password")
                echoMode: TextInput.Password
                inputMethodHints: Qt.ImhSensitiveData | Qt.ImhNoPredictiveText
                enabled: !page.busy
                Accessible.name: qsTr("Password")
                onAccepted: page.submit()
            }

            RowLayout {
                Layout.fillWidth: true
                spacing: 12

                Button {
                    id: signInButton

                    objectName: "signInButton"
                    text: qsTr("Sign in")
                    highlighted: true
                    enabled: !page.busy
                    implicitHeight: 56
                    font.pixelSize: 18
                    Layout.preferredWidth: 180
                    Accessible.name: qsTr("Sign in")
                    onClicked: page.submit()
                }
                BusyIndicator {
                    running: page.busy
                    visible: running
                    implicitHeight: 48
                    implicitWidth: 48
                }
            }

            // Invited, or the password was reset: choose one with the admin's setup code.
            Button {
                objectName: "setupCodeLink"
                text: qsTr("I have a setup code")
                flat: true
                font.pixelSize: 16
                font.underline: true
                implicitHeight: 48
                enabled: !page.busy
                Material.foreground: Material.primary
                Accessible.name: qsTr("I have a setup code: set my password")
                onClicked: if (page.StackView.view) page.StackView.view.push(setPasswordPage)
            }

            Pane {
                objectName: "errorPane"
                visible: errorText.text.length > 0
                Layout.fillWidth: true
                Material.background: "#fdecea"
                Material.elevation: 0

                Label {
                    id: errorText

                    width: parent.width
                    text: Session.error
                    wrapMode: Text.WordWrap
                    font.pixelSize: 16
                    color: "#8a1c12"
                    Accessible.name: qsTr("Problem: %1").arg(text)
                }
            }

            Label {
                text: qsTr("Server")
                font.pixelSize: 14
                opacity: 0.7
                Layout.topMargin: 16
            }
            TextField {
                id: address

                objectName: "serverAddress"
                Layout.fillWidth: true
                implicitHeight: 48
                font.pixelSize: 15
                text: ServerConnection.url
                placeholderText: "wss://callcommander.example.com/ws"
                inputMethodHints: Qt.ImhUrlCharactersOnly | Qt.ImhNoAutoUppercase
                enabled: !page.busy
                Accessible.name: qsTr("Server address")
            }

            Label {
                text: qsTr("App version %1").arg(ServerConnection.clientVersion)
                font.pixelSize: 14
                opacity: 0.6
                Layout.topMargin: 8
            }
        }
    }
}
