import QtQuick
import QtQuick.Controls
import QtTest
import CallCommander.Core
import CallCommander.Ui
import "helpers.js" as Helpers

// The sign-in page as a person meets it: fields show what is remembered, a missing field or a
// bad server address is explained, and controls are large enough for a finger.
TestCase {
    id: testCase

    name: "SignInPage"
    width: 800
    height: 800
    visible: true
    when: windowShown

    Component {
        id: stackComponent

        StackView {
            anchors.fill: parent
            initialItem: SignInPage {}
        }
    }

    Component {
        id: pageComponent

        SignInPage {
            anchors.fill: parent
        }
    }

    function findChild(item, name) {
        return Helpers.findChild(item, name)
    }

    function init() {
        Session.signOut()
        ServerConnection.disconnectFromServer()
        ServerConnection.url = "wss://store-12.example:8443/ws"
        Session.organisation = "northwind"
        Session.email = "ana.lopez@northwind.example"
    }

    function test_fieldsShowWhatIsRemembered() {
        const page = createTemporaryObject(pageComponent, testCase)
        compare(findChild(page, "serverAddress").text, "wss://store-12.example:8443/ws")
        compare(findChild(page, "organisation").text, "northwind")
        compare(findChild(page, "email").text, "ana.lopez@northwind.example")
        compare(findChild(page, "password").text, "")
        verify(!findChild(page, "errorPane").visible, "no error before any attempt")
    }

    function test_missingPasswordIsExplained() {
        const page = createTemporaryObject(pageComponent, testCase)
        const button = findChild(page, "signInButton")
        waitForRendering(page)
        mouseClick(button)
        compare(Session.state, Session.SignedOut)
        verify(Session.error.indexOf("password") >= 0, Session.error)
        tryVerify(() => findChild(page, "errorPane").visible)
    }

    function test_badServerAddressIsExplained() {
        const page = createTemporaryObject(pageComponent, testCase)
        findChild(page, "serverAddress").text = "  http://not-a-websocket  "
        findChild(page, "password").text = "whatever-password"
        waitForRendering(page)
        mouseClick(findChild(page, "signInButton"))
        compare(ServerConnection.url.toString(), "http://not-a-websocket")
        compare(Session.state, Session.SignedOut)
        verify(Session.error.indexOf("wss://") >= 0, Session.error)
        compare(findChild(page, "password").text, "", "the password is not kept in the field")
    }

    function test_setupCodeLinkOpensSetPassword() {
        const stack = createTemporaryObject(stackComponent, testCase)
        const link = findChild(stack.currentItem, "setupCodeLink")
        verify(link.visible)
        verify(link.height >= 48)
        compare(link.text, "I have a setup code")
        waitForRendering(stack)
        mouseClick(link)
        tryCompare(stack, "depth", 2)
        compare(stack.currentItem.title, "Set your password")
        // What was typed on the sign-in page comes along.
        compare(findChild(stack.currentItem, "setupOrganisation").text, "northwind")
    }

    function test_touchSizedControls() {
        const page = createTemporaryObject(pageComponent, testCase)
        verify(findChild(page, "signInButton").height >= 48)
        for (const name of ["organisation", "email", "password", "serverAddress"])
            verify(findChild(page, name).height >= 48, name)
    }
}
