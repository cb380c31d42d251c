import QtQuick
import QtTest
import CallCommander.Core
import CallCommander.Ui
import "helpers.js" as Helpers

TestCase {
    id: testCase

    name: "ConnectionBanner"
    width: 800
    height: 200
    visible: true // TestCase is hidden by default; the banner's buttons must be really shown
    when: windowShown

    Component {
        id: bannerComponent

        ConnectionBanner {
            width: 800
        }
    }

    SignalSpy {
        id: retrySpy

        signalName: "retryRequested"
    }

    function findChild(item, name) {
        return Helpers.findChild(item, name)
    }

    function test_messages_data() {
        return [
            { tag: "offline", state: ServerConnection.Offline, retry: 0, node: "", text: "Not connected", retryVisible: false },
            { tag: "connecting", state: ServerConnection.Connecting, retry: 0, node: "", text: "Connecting…", retryVisible: false },
            { tag: "connected", state: ServerConnection.Connected, retry: 0, node: "node-7", text: "Online · node-7", retryVisible: false },
            { tag: "reconnecting", state: ServerConnection.Reconnecting, retry: 4, node: "", text: "Offline · retrying in 4 s", retryVisible: true },
            { tag: "retrying now", state: ServerConnection.Reconnecting, retry: 0, node: "", text: "Offline · reconnecting…", retryVisible: true },
        ]
    }

    function test_messages(data) {
        const banner = createTemporaryObject(bannerComponent, testCase, {
            connectionState: data.state, retryInSeconds: data.retry, serverNode: data.node
        })
        verify(banner)
        compare(banner.message, data.text)
        compare(findChild(banner, "bannerText").text, data.text)
        compare(findChild(banner, "retryButton").visible, data.retryVisible)
        compare(banner.Accessible.name, data.text)
        verify(banner.height >= 48, "touch-sized")
    }

    function test_signedInOffline() {
        const banner = createTemporaryObject(bannerComponent, testCase, {
            connectionState: ServerConnection.Offline, signedInOffline: true
        })
        verify(banner)
        compare(findChild(banner, "bannerText").text,
                "Signed in offline · changes are kept and sent when the server is back")
        compare(banner.Accessible.name, banner.message)
        const offlineTone = banner.tone.toString()
        // Once the server has taken the sign-in back, the banner says so like any other.
        banner.connectionState = ServerConnection.Connected
        compare(banner.message, "Online")
        verify(offlineTone !== banner.tone.toString())
    }

    function test_colourFollowsState() {
        const banner = createTemporaryObject(bannerComponent, testCase, { connectionState: ServerConnection.Connected })
        const online = banner.tone.toString()
        banner.connectionState = ServerConnection.Reconnecting
        verify(online !== banner.tone.toString(), online + " vs " + banner.tone)
    }

    function test_retryButtonEmits() {
        const banner = createTemporaryObject(bannerComponent, testCase, {
            connectionState: ServerConnection.Reconnecting, retryInSeconds: 9
        })
        retrySpy.target = banner
        retrySpy.clear()
        const button = findChild(banner, "retryButton")
        waitForRendering(banner)
        mouseClick(button)
        compare(retrySpy.count, 1)
    }
}
