import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts
import CallCommander.Core

// For someone an admin invited, or whose password an admin reset: with the one-time setup code
// they were given, they choose their password here, then sign in with it as usual. Nothing is
// kept: the fields are cleared once the server has answered.
Page {
    id: page

    property PasswordSetup setup: PasswordSetup {
        connection: ServerConnection
    }

    function submit() {
        setup.submit(organisation.text, email.text, code.text, password.text, repeat.text)
    }

    title: qsTr("Set your password")

    Connections {
        target: page.setup

        function onSucceeded() {
            // Ready for the sign-in page; the password itself is not carried over.
            Session.organisation = organisation.text.trim()
            Session.email = email.text.trim()
            code.text = ""
            password.text = ""
            repeat.text = ""
        }
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
                visible: page.StackView.view !== null && page.StackView.index > 0
                Accessible.name: qsTr("Back to sign in")
                onClicked: page.StackView.view.pop()
            }
            Label {
                text: page.title
                font.pixelSize: 22
                font.weight: Font.DemiBold
                elide: Text.ElideRight
                Layout.fillWidth: true
            }
        }
    }

    // A Flickable rather than a ScrollView, with the header: see CallsPage.
    Flickable {
        id: scroller

        anchors.fill: parent
        contentWidth: width
        contentHeight: form.implicitHeight + 32
        boundsBehavior: Flickable.StopAtBounds
        clip: true
        ScrollBar.vertical: ScrollBar {}

        ColumnLayout {
            id: form

            width: Math.min(scroller.width - 48, 520)
            x: (scroller.width - width) / 2
            spacing: 12

            Item { Layout.preferredHeight: 16 }

            Label {
                text: qsTr("Your admin gave you a setup code. Enter it with your company code and e-mail, and choose your password: at least 10 characters, not your e-mail address.")
                wrapMode: Text.WordWrap
                font.pixelSize: 17
                opacity: 0.85
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

                objectName: "setupOrganisation"
                Layout.fillWidth: true
                implicitHeight: 56
                font.pixelSize: 18
                text: Session.organisation
                placeholderText: qsTr("Company code")
                inputMethodHints: Qt.ImhNoAutoUppercase | Qt.ImhNoPredictiveText
                enabled: !page.setup.busy && !page.setup.done
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

                objectName: "setupEmail"
                Layout.fillWidth: true
                implicitHeight: 56
                font.pixelSize: 18
                text: Session.email
                placeholderText: qsTr("E-mail")
                inputMethodHints: Qt.ImhEmailCharactersOnly | Qt.ImhNoAutoUppercase
                enabled: !page.setup.busy && !page.setup.done
                Accessible.name: qsTr("E-mail")
                onAccepted: code.forceActiveFocus()
            }
            Label {
                text: qsTr("Setup code")
                font.pixelSize: 14
                opacity: 0.7
            }
            TextField {
                id: code

                objectName: "setupCodeField"
                Layout.fillWidth: true
                implicitHeight: 56
                font.pixelSize: 20
                font.family: "monospace"
                placeholderText: "XXXX-XXXX-XXXX-XXXX"
                inputMethodHints: Qt.ImhUppercaseOnly | Qt.ImhNoPredictiveText | Qt.ImhSensitiveData
                enabled: !page.setup.busy && !page.setup.done
                Accessible.name: qsTr("Setup code")
                onAccepted: password.forceActiveFocus()
            }
            Label {
                text: qsTr("New password")
                font.pixelSize: 14
                opacity: 0.7
            }
            TextField {
                id: password

                objectName: "newPassword"
                Layout.fillWidth: true
                implicitHeight: 56
                font.pixelSize: 18
                echoMode: TextInput.Password
                inputMethodHints: Qt.ImhSensitiveData | Qt.ImhNoPredictiveText
                enabled: !page.setup.busy && !page.setup.done
                Accessible.name: qsTr("New password")
                onAccepted: repeat.forceActiveFocus()
            }
            Label {
                text: qsTr("New password again")
                font.pixelSize: 14
                opacity: 0.7
            }
            TextField {
                id: repeat

                objectName: "repeatPassword"
                Layout.fillWidth: true
                implicitHeight: 56
                font.pixelSize: 18
                echoMode: TextInput.Password
                inputMethodHints: Qt.ImhSensitiveData | Qt.ImhNoPredictiveText
                enabled: !page.setup.busy && !page.setup.done
                Accessible.name: qsTr("New password again")
                onAccepted: page.submit()
            }

            RowLayout {
                visible: !page.setup.done
                Layout.fillWidth: true
                spacing: 12

                Button {
                    objectName: "setPasswordButton"
                    text: qsTr("Set password")
                    highlighted: true
                    enabled: !page.setup.busy
                    implicitHeight: 56
                    font.pixelSize: 18
                    Layout.preferredWidth: 200
                    Accessible.name: qsTr("Set my password")
                    onClicked: page.submit()
                }
                BusyIndicator {
                    running: page.setup.busy
                    visible: running
                    implicitHeight: 48
                    implicitWidth: 48
                }
            }

            Pane {
                objectName: "setupError"
                visible: page.setup.error.length > 0 && !page.setup.done
                Layout.fillWidth: true
                Material.background: "#fdecea"
                Material.elevation: 0

                Label {
                    width: parent.width
                    text: page.setup.error
                    wrapMode: Text.WordWrap
                    font.pixelSize: 16
                    color: "#8a1c12"
                    Accessible.role: Accessible.AlertMessage
                    Accessible.name: qsTr("Problem: %1").arg(text)
                }
            }

            Pane {
                objectName: "setupDone"
                visible: page.setup.done
                Layout.fillWidth: true
                Material.background: "#e8f5e9"
                Material.elevation: 0

                Label {
                    width: parent.width
                    text: qsTr("Your password is set. Sign in with it now.")
                    wrapMode: Text.WordWrap
                    font.pixelSize: 17
                    color: "#1b5e20"
                    Accessible.role: Accessible.AlertMessage
                    Accessible.name: text
                }
            }
            Button {
                objectName: "backToSignIn"
                visible: page.setup.done
                text: qsTr("Go to sign in")
                highlighted: true
                implicitHeight: 48
                Accessible.name: qsTr("Go to sign in")
                onClicked: if (page.StackView.view) page.StackView.view.pop()
            }
        }
    }
}
