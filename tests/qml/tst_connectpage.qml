import QtQuick
import QtTest
import CallCommander.Core
import CallCommander.Ui
import "helpers.js" as Helpers

// The connect page as a person meets it: the address field shows the connection's address,
// editing it and pressing Connect hands the new address to the connection.
TestCase {
    id: testCase

    name: "ConnectPage"
    width: 800
    height: 700
    visible: true
    when: windowShown

    Component {
        id: pageComponent

        ConnectPage {
            anchors.fill: parent
        }
    }

    SignalSpy {
        id: connectSpy

        signalName: "connectRequested"
    }

    function findChild(item, name) {
        return Helpers.findChild(item, name)
    }

    function init() {
        ServerConnection.disconnectFromServer()
        ServerConnection.url = "wss://store-12.example:8443/ws"
    }

    function test_addressComesFromTheConnection() {
        const page = createTemporaryObject(pageComponent, testCase)
        const field = findChild(page, "serverAddress")
        verify(field)
        compare(field.text, "wss://store-12.example:8443/ws")
        compare(findChild(page, "connectButton").text, "Connect")
        verify(!findChild(page, "errorPane").visible, "no error before any attempt")
    }

    function test_connectHandsOverTheEditedAddress() {
        const page = createTemporaryObject(pageComponent, testCase)
        connectSpy.target = page
        connectSpy.clear()
        const field = findChild(page, "serverAddress")
        field.text = "  wss://hq.example:9443/ws  "
        const button = findChild(page, "connectButton")
        waitForRendering(page)
        mouseClick(button)
        compare(connectSpy.count, 1)
        compare(ServerConnection.url.toString(), "wss://hq.example:9443/ws")
    }

    function test_badAddressIsExplained() {
        const page = createTemporaryObject(pageComponent, testCase)
        ServerConnection.url = "http://not-a-websocket"
        ServerConnection.connectToServer()
        compare(ServerConnection.state, ServerConnection.Offline)
        verify(ServerConnection.lastError.indexOf("wss://") >= 0)
        tryVerify(() => findChild(page, "errorPane").visible)
    }

    function test_touchSizedControls() {
        const page = createTemporaryObject(pageComponent, testCase)
        verify(findChild(page, "connectButton").height >= 48)
        verify(findChild(page, "serverAddress").height >= 48)
    }
}
