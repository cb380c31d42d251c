import QtQuick
import QtQuick.Controls
import QtTest
import CallCommander.Core
import CallCommander.Ui
import "helpers.js" as Helpers

// The page where an invited person (or one whose password was reset) chooses a password with the
// admin's setup code: what is remembered is filled in, what the app can check it says at once,
// and controls are large enough for a finger.
TestCase {
    id: testCase

    name: "SetPasswordPage"
    width: 800
    height: 900
    visible: true
    when: windowShown

    Component {
        id: stackComponent

        StackView {
            anchors.fill: parent
            initialItem: SetPasswordPage {}
        }
    }

    function init() {
        Session.signOut()
        ServerConnection.disconnectFromServer()
        ServerConnection.url = "wss://store-12.example:8443/ws"
        Session.organisation = "northwind"
        Session.email = "kim@northwind.example"
    }

    function fill(page, code, password, repeat) {
        Helpers.findChild(page, "setupCodeField").text = code
        Helpers.findChild(page, "newPassword").text = password
        Helpers.findChild(page, "repeatPassword").text = repeat
    }

    function test_fieldsAndSizes() {
        const page = createTemporaryObject(stackComponent, testCase).currentItem
        compare(page.title, "Set your password")
        compare(Helpers.findChild(page, "setupOrganisation").text, "northwind")
        compare(Helpers.findChild(page, "setupEmail").text, "kim@northwind.example")
        for (const name of ["setupOrganisation", "setupEmail", "setupCodeField", "newPassword",
                            "repeatPassword", "setPasswordButton"]) {
            const control = Helpers.findChild(page, name)
            verify(control.height >= 48, name)
            verify(control.Accessible.name.length > 0, name)
        }
        compare(Helpers.findChild(page, "newPassword").echoMode, TextInput.Password)
        verify(!Helpers.findChild(page, "setupError").visible)
        verify(!Helpers.findChild(page, "setupDone").visible)
    }

    function test_whatTheAppCanTellItSays() {
        const page = createTemporaryObject(stackComponent, testCase).currentItem
        const button = Helpers.findChild(page, "setPasswordButton")
        const error = Helpers.findChild(page, "setupError")
        fill(page, "7KQ2-M9XD-4HTR-WP3A", "a long new password", "a long new passw0rd")
        mouseClick(button)
        tryVerify(() => error.visible)
        verify(page.setup.error.indexOf("not the same") >= 0, page.setup.error)
        fill(page, "7KQ2-M9XD-4HTR-WP3A", "short", "short")
        mouseClick(button)
        verify(page.setup.error.indexOf("at least 10") >= 0, page.setup.error)
        fill(page, "", "a long new password", "a long new password")
        mouseClick(button)
        verify(page.setup.error.indexOf("setup code") >= 0, page.setup.error)
        fill(page, "7KQ2-M9XD-4HTR-WP3A", "KIM@northwind.example", "KIM@northwind.example")
        mouseClick(button)
        verify(page.setup.error.indexOf("e-mail") >= 0, page.setup.error)
        verify(!page.setup.busy)
    }

    function test_badServerAddressIsExplained() {
        ServerConnection.url = "http://not-a-websocket"
        const page = createTemporaryObject(stackComponent, testCase).currentItem
        fill(page, "7KQ2-M9XD-4HTR-WP3A", "a long new password", "a long new password")
        mouseClick(Helpers.findChild(page, "setPasswordButton"))
        verify(page.setup.error.indexOf("wss://") >= 0, page.setup.error)
    }
}
