import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtTest
import CallCommander.Core
import CallCommander.Ui
import CallCommander.TestData
import "helpers.js" as Helpers

// The calls page over a demo store's cache (tst_qml.cpp writes it): Ana, staff, is being rung by
// Alice Martin, found by her number, while a new caller waits and Ben talks with Bob; Maya, the
// manager, sees the queue and the full staff board. Each test saves a screenshot and checks that
// it shows something.
TestCase {
    id: testCase

    name: "CallsPage"
    width: 1024
    height: 1100
    visible: true
    when: windowShown

    Component {
        id: staffStack

        StackView {
            anchors.fill: parent
            // The theme Main.qml gives every page.
            Material.primary: "#1f3a5f"
            Material.accent: Material.Teal
            initialItem: CallsPage {
                cache: DemoData.staffSync
                role: "staff"
            }
        }
    }

    Component {
        id: managerStack

        StackView {
            anchors.fill: parent
            // The theme Main.qml gives every page.
            Material.primary: "#1f3a5f"
            Material.accent: Material.Teal
            initialItem: CallsPage {
                cache: DemoData.managerSync
                role: "manager"
            }
        }
    }

    Component {
        id: wrapUpStack

        StackView {
            anchors.fill: parent
            // The theme Main.qml gives every page.
            Material.primary: "#1f3a5f"
            Material.accent: Material.Teal
            initialItem: CallsPage {
                cache: DemoData.wrapUpSync
                role: "staff"
            }
        }
    }

    Component {
        id: onCallStack

        StackView {
            anchors.fill: parent
            // The theme Main.qml gives every page.
            Material.primary: "#1f3a5f"
            Material.accent: Material.Teal
            initialItem: CallsPage {
                cache: DemoData.onCallSync
                role: "staff"
            }
        }
    }

    Component {
        id: narrowStack

        StackView {
            width: 400
            height: parent.height
            Material.primary: "#1f3a5f"
            Material.accent: Material.Teal
            initialItem: CallsPage {
                cache: DemoData.staffSync
                role: "staff"
            }
        }
    }

    Component {
        id: emptyStack

        StackView {
            anchors.fill: parent
            // The theme Main.qml gives every page.
            Material.primary: "#1f3a5f"
            Material.accent: Material.Teal
            initialItem: CallsPage {}
        }
    }

    // Saves a picture of `item` and checks it is not blank: a grid of samples finds several
    // colours (a blank or failed rendering is one).
    function screenshot(item, name) {
        wait(400) // switches and buttons finish their transitions
        waitForRendering(item)
        const image = grabImage(item)
        image.save(DemoData.screenshotFolder + "/" + name + ".png")
        const colours = {}
        for (let x = 5; x < image.width; x += Math.floor(image.width / 24)) {
            for (let y = 5; y < image.height; y += Math.floor(image.height / 24))
                colours[image.pixel(x, y).toString()] = true
        }
        verify(Object.keys(colours).length >= 4, name + ": the screenshot looks blank")
    }

    function test_staffAreRungWithTheCallersHistory() {
        const stack = createTemporaryObject(staffStack, testCase)
        verify(stack)
        const page = stack.currentItem

        const queue = Helpers.findChild(page, "queueList")
        verify(queue)
        tryCompare(queue, "count", 3, 10000)
        tryCompare(Helpers.findChild(page, "queueCounts"), "text", "2 waiting · 1 in progress")

        const pop = Helpers.findChild(page, "screenPop")
        verify(pop)
        tryVerify(() => pop.visible, 10000)
        const headline = Helpers.findChild(page, "screenPopHeadline")
        compare(headline.text, "Call for you from Alice Martin — Main Street")
        const calls = Helpers.findChild(page, "recentCalls")
        tryVerify(() => calls.items.length === 3)
        compare(Helpers.findChild(page, "openTasks").items.length, 1)
        compare(Helpers.findChild(page, "appointments").items.length, 1)
        compare(Helpers.findChild(page, "notes").items.length, 2)
        // Ringing: nothing to record yet.
        compare(Helpers.findChild(page, "finishForm").visible, false)

        verify(Helpers.findChild(page, "presenceSwitch"))
        tryCompare(Helpers.findChild(page, "presenceStatus"), "text", "Available")
        compare(Helpers.findChild(page, "presenceActivity").text, "Your phone is ringing")
        const strip = Helpers.findChild(page, "staffStrip")
        verify(strip.visible)
        compare(Helpers.findChild(page, "staffList").visible, false)

        screenshot(page, "callspage-staff")
    }

    function test_presenceCannotChangeWithoutASignIn() {
        const stack = createTemporaryObject(staffStack, testCase)
        const page = stack.currentItem
        const toggle = Helpers.findChild(page, "presenceSwitch")
        tryCompare(toggle, "checked", true, 10000)
        mouseClick(toggle)
        const error = Helpers.findChild(page, "presenceError")
        tryVerify(() => error.visible)
        compare(error.text, "Sign in first.")
        // The switch shows what the server holds, not the tap.
        compare(toggle.checked, true)
    }

    function test_managersSeeTheStaffBoard() {
        const stack = createTemporaryObject(managerStack, testCase)
        verify(stack)
        const page = stack.currentItem
        const board = Helpers.findChild(page, "staffList")
        verify(board)
        tryCompare(board, "count", 7, 10000) // Leo works at Harbour Point, Maya's second store
        verify(board.visible)
        compare(Helpers.findChild(page, "staffStrip").visible, false)
        tryCompare(Helpers.findChild(page, "queueList"), "count", 3)
        // The call rings for Ana, not for Maya: no caller card.
        compare(Helpers.findChild(page, "screenPop").visible, false)
        // Available and free first: Leo and Sam (Priya is paused after a missed call).
        tryCompare(Helpers.findChild(page, "staffCounts"), "text", "2 free to take a call")

        screenshot(page, "callspage-manager")
    }

    function test_afterTheCallAnOutcomeAndANote() {
        const stack = createTemporaryObject(wrapUpStack, testCase)
        const page = stack.currentItem
        const pop = Helpers.findChild(page, "screenPop")
        tryVerify(() => pop.visible, 10000)
        compare(Helpers.findChild(page, "screenPopHeadline").text,
                "Call ended: +12125550188 (new caller) — Main Street")
        compare(Helpers.findChild(page, "recentCalls").items.length, 0)
        const form = Helpers.findChild(page, "finishForm")
        verify(form.visible)
        tryVerify(() => /^Wrap-up \d+:\d\d$/.test(Helpers.findChild(page, "presenceActivity").text))
        const done = Helpers.findChild(page, "doneButton")
        compare(done.enabled, false) // an outcome first
        verify(done.height >= 48)
        mouseClick(Helpers.findChild(page, "disposition_follow_up_needed"))
        verify(done.enabled)
        const note = Helpers.findChild(page, "noteField")
        note.text = "Asked whether we open on Sunday; call back with the holiday hours."
        screenshot(page, "callspage-wrapup")

        // Offline, the outcome and the note go to the device's outbox and the card closes.
        mouseClick(done)
        tryVerify(() => !pop.visible, 10000)
        tryCompare(DemoData.wrapUpSync, "pendingWrites", 2, 10000)
    }

    function test_narrowTabletInPortrait() {
        const stack = createTemporaryObject(narrowStack, testCase)
        const page = stack.currentItem
        tryCompare(Helpers.findChild(page, "queueList"), "count", 3, 10000)
        tryVerify(() => Helpers.findChild(page, "screenPop").visible)
        // Nothing wider than the screen: the page scrolls up and down only.
        const scroller = Helpers.findChild(page, "callsScroller")
        compare(scroller.contentWidth, scroller.width)
        screenshot(stack, "callspage-narrow")
    }

    function test_withoutACacheTheQueueIsEmpty() {
        const stack = createTemporaryObject(emptyStack, testCase)
        const page = stack.currentItem
        compare(Helpers.findChild(page, "queueList").count, 0)
        verify(Helpers.findChild(page, "queueEmpty").visible)
        compare(Helpers.findChild(page, "screenPop").visible, false)
        compare(Helpers.findChild(page, "syncNote").text, "Offline data not open")
    }

    // Jo is on a call; he picks an outcome and starts the note while talking. The caller hangs
    // up: the card turns to the wrap-up of the same call and keeps both. Only another call
    // starts a fresh form.
    function test_theNoteOutlivesTheCallerHangingUp() {
        const stack = createTemporaryObject(onCallStack, testCase)
        const page = stack.currentItem
        const panel = Helpers.findChild(page, "screenPop")
        tryVerify(() => panel.visible, 10000)
        tryCompare(panel.pop, "phase", ScreenPop.OnCall, 10000)
        const callId = panel.pop.callId
        compare(Helpers.findChild(page, "screenPopHeadline").text,
                "On the phone with +12125550199 (new caller) — Riverside")

        const outcome = Helpers.findChild(page, "disposition_order_status")
        mouseClick(outcome)
        compare(panel.chosen, "order_status")
        // A second tap on the chosen outcome leaves it chosen, and it still looks chosen.
        mouseClick(outcome)
        compare(panel.chosen, "order_status")
        verify(!outcome.checkable)
        verify(outcome.highlighted)
        const note = Helpers.findChild(page, "noteField")
        note.forceActiveFocus()
        note.text = "Tent zip broken; "
        note.cursorPosition = note.length
        keyClick(Qt.Key_O)
        keyClick(Qt.Key_K)
        compare(note.text, "Tent zip broken; ok")

        // The caller hangs up.
        compare(DemoData.endJosCall(), "")
        tryCompare(panel.pop, "phase", ScreenPop.WrapUp, 10000)
        compare(panel.pop.callId, callId)
        compare(Helpers.findChild(page, "screenPopHeadline").text,
                "Call ended: +12125550199 (new caller) — Riverside")
        compare(note.text, "Tent zip broken; ok")
        compare(panel.chosen, "order_status")
        verify(outcome.highlighted)
        verify(Helpers.findChild(page, "doneButton").enabled)

        // Another call rings for him: its card starts empty.
        compare(DemoData.ringJo(), "")
        tryCompare(panel.pop, "phase", ScreenPop.Ringing, 10000)
        verify(panel.pop.callId !== callId)
        compare(note.text, "")
        compare(panel.chosen, "")
        verify(!outcome.highlighted)
    }
}
