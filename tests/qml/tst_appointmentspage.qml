import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtTest
import CallCommander.Core
import CallCommander.Ui
import CallCommander.TestData
import "helpers.js" as Helpers

// The appointments page over the demo caches (tst_qml.cpp): Ana at Main Street sees the request
// a caller left on the phone line first, then the booked ones, one of which the store's calendar
// refused; Maya, manager of two stores, sees both stores' requests; Rosa (Riverside) confirms,
// cancels and books, offline, into her device's outbox. The stock check dialog shows an answer
// and a failure. Screenshots go to DemoData.screenshotFolder.
TestCase {
    id: testCase

    name: "AppointmentsPage"
    width: 1024
    height: 860
    visible: true
    when: windowShown

    Component {
        id: staffStack

        StackView {
            anchors.fill: parent
            Material.primary: "#1f3a5f"
            Material.accent: Material.Teal
            initialItem: AppointmentsPage {
                cache: DemoData.staffSync
            }
        }
    }

    Component {
        id: managerStack

        StackView {
            anchors.fill: parent
            Material.primary: "#1f3a5f"
            Material.accent: Material.Teal
            initialItem: AppointmentsPage {
                cache: DemoData.managerSync
            }
        }
    }

    Component {
        id: rosaStack

        StackView {
            anchors.fill: parent
            Material.primary: "#1f3a5f"
            Material.accent: Material.Teal
            initialItem: AppointmentsPage {
                cache: DemoData.bookingSync
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
            initialItem: AppointmentsPage {
                cache: DemoData.staffSync
            }
        }
    }

    // Saves a picture and checks it is not blank (see tst_callspage.qml).
    // Popups take their colours from the window (Qt 6.4), which the app's Main.qml themes; the
    // test window has no theme, so the dialog in a picture gets the app's here.
    function themed(popup) {
        popup.Material.primary = "#1f3a5f"
        popup.Material.accent = Material.Teal
    }

    function screenshot(item, name) {
        wait(400)
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

    function rowAt(list, i) {
        list.positionViewAtIndex(i, ListView.Contain)
        return list.itemAtIndex(i)
    }

    function test_requestsFirstThenBookedWithTheCalendar() {
        const stack = createTemporaryObject(staffStack, testCase)
        const page = stack.currentItem
        const list = Helpers.findChild(page, "appointmentList")
        verify(list)
        // Main Street: the phone request, Bob's pickup, Alice's fitting, Carmen's ski boots (not
        // the cancelled one, nor yesterday's, nor Harbour Point's).
        tryCompare(list, "count", 4, 10000)
        const first = rowAt(list, 0)
        verify(first.requested)
        verify(first.purpose.startsWith("Asked for by phone"))
        verify(Helpers.findChild(first, "requestedBadge").visible)
        verify(Helpers.findChild(first, "confirmButton").visible)
        verify(Helpers.findChild(first, "confirmButton").height >= 48)
        compare(first.customerName, "")
        for (let i = 1; i < 4; ++i) {
            const row = rowAt(list, i)
            verify(!row.requested)
            compare(Helpers.findChild(row, "confirmButton").visible, false)
            verify(Helpers.findChild(row, "cancelButton").visible)
        }
        // Booked ones by start: Bob today, Alice tomorrow, Carmen in three days.
        compare(rowAt(list, 1).customerName, "Bob Nguyen")
        compare(rowAt(list, 2).customerName, "Alice Martin")
        compare(rowAt(list, 3).customerName, "Carmen Ortiz")
        verify(rowAt(list, 2).whenText.startsWith("Tomorrow, "))
        const bob = rowAt(list, 1)
        compare(bob.calendarState, "failed")
        const warning = Helpers.findChild(bob, "calendarState")
        verify(warning.visible)
        verify(warning.text.indexOf("reconnect Google Calendar") >= 0)
        compare(Helpers.findChild(rowAt(list, 2), "calendarState").text, "✓ In the store's calendar")
        compare(Helpers.findChild(rowAt(list, 3), "calendarState").text, "Going into the store's calendar…")
        list.positionViewAtBeginning()
        screenshot(stack, "appointments-staff")
    }

    function test_managersSeeBothStores() {
        const stack = createTemporaryObject(managerStack, testCase)
        const list = Helpers.findChild(stack.currentItem, "appointmentList")
        tryCompare(list, "count", 5, 10000) // Harbour Point's request too
        verify(rowAt(list, 0).requested)
        verify(rowAt(list, 1).requested)
        verify(!rowAt(list, 2).requested)
        compare(rowAt(list, 0).storeName, "Harbour Point") // sooner
    }

    function test_confirmThenCancelOffline() {
        const stack = createTemporaryObject(rosaStack, testCase)
        const page = stack.currentItem
        const list = Helpers.findChild(page, "appointmentList")
        tryVerify(() => list.count >= 1, 10000)
        const sync = DemoData.bookingSync
        const pending = sync.pendingWrites
        const count = list.count
        let row = rowAt(list, 0)
        verify(row.requested)
        compare(row.storeName, "Riverside")
        mouseClick(Helpers.findChild(row, "confirmButton"))
        tryCompare(sync, "pendingWrites", pending + 1, 10000)
        tryVerify(() => !rowAt(list, list.count - 1).requested && !rowAt(list, 0).requested, 10000)
        compare(list.count, count)

        // Cancel asks first.
        row = rowAt(list, 0)
        mouseClick(Helpers.findChild(row, "cancelButton"))
        const ask = page.cancelDialog
        tryCompare(ask, "opened", true)
        compare(list.count, count)
        ask.accept()
        tryCompare(list, "count", count - 1, 10000)
        tryCompare(sync, "pendingWrites", pending + 2, 10000)
    }

    function test_bookFromThePage() {
        const stack = createTemporaryObject(rosaStack, testCase)
        const page = stack.currentItem
        const list = Helpers.findChild(page, "appointmentList")
        tryVerify(() => !list.model.loading, 10000)
        wait(200)
        const count = list.count
        const pending = DemoData.bookingSync.pendingWrites

        mouseClick(Helpers.findChild(page, "bookButton"))
        const dialog = page.bookingDialog
        tryCompare(dialog, "opened", true)
        const form = dialog.contentItem
        // Her only store: said, not offered as a choice.
        tryCompare(Helpers.findChild(form, "bookingStoreName"), "text", "Riverside")
        compare(Helpers.findChild(form, "bookingStore").visible, false)
        compare(Helpers.findChild(form, "bookingCustomer").text, "Nobody on record (note the name below)")
        const day = Helpers.findChild(form, "bookingDay")
        day.currentIndex = 1
        day.activated(1)
        const time = Helpers.findChild(form, "bookingTime")
        const eleven = time.model.indexOf("11:00")
        time.currentIndex = eleven
        time.activated(eleven)
        const length = Helpers.findChild(form, "bookingLength")
        length.currentIndex = length.indexOfValue(45)
        length.activated(length.currentIndex)
        const purpose = Helpers.findChild(form, "bookingPurpose")
        purpose.text = "Kayak fitting for Sam Lee (walk-in)"
        tryVerify(() => Helpers.findChild(form, "bookingWhen").text.startsWith("Tomorrow, 11:00–11:45"))
        themed(dialog)
        screenshot(testCase, "appointments-book-dialog")

        mouseClick(Helpers.findChild(dialog.footer, "bookButton"))
        tryCompare(dialog, "opened", false, 10000)
        tryVerify(() => Helpers.findChild(page, "appointmentsNotice").text.startsWith("Booked: Tomorrow, 11:00–11:45"))
        tryCompare(list, "count", count + 1, 10000)
        tryCompare(DemoData.bookingSync, "pendingWrites", pending + 1, 10000)
    }

    function test_aTimeThatHasPassedIsRefused() {
        // 07:00 today must have passed in New York: earlier than 09:00 there, the form's clock
        // is moved on to 09:xx the same day.
        const nyHour = DemoData.hourIn("America/New_York")
        DemoData.setBookingClockOffsetHours(nyHour < 9 ? 9 - nyHour : 0)
        try {
            const stack = createTemporaryObject(rosaStack, testCase)
            const page = stack.currentItem
            mouseClick(Helpers.findChild(page, "bookButton"))
            const dialog = page.bookingDialog
            tryCompare(dialog, "opened", true)
            const form = dialog.contentItem
            const day = Helpers.findChild(form, "bookingDay")
            day.currentIndex = 0
            day.activated(0)
            const time = Helpers.findChild(form, "bookingTime")
            time.currentIndex = 0 // 07:00 today in New York
            time.activated(0)
            const pending = DemoData.bookingSync.pendingWrites
            mouseClick(Helpers.findChild(dialog.footer, "bookButton"))
            const error = Helpers.findChild(form, "bookingError")
            tryVerify(() => error.visible)
            verify(error.text.indexOf("has passed at Riverside") >= 0)
            verify(dialog.opened)
            compare(DemoData.bookingSync.pendingWrites, pending)
            dialog.close()
        } finally {
            DemoData.setBookingClockOffsetHours(0)
        }
    }

    function test_stockCheckShowsTheAnswerOrWhatWentWrong() {
        const stack = createTemporaryObject(staffStack, testCase)
        const page = stack.currentItem
        tryCompare(Helpers.findChild(page, "appointmentList"), "count", 4, 10000)
        const dialog = page.stockCheckDialog
        dialog.check = DemoData.stockAnswer
        mouseClick(Helpers.findChild(page, "stockButton"))
        tryCompare(dialog, "opened", true)
        const form = dialog.contentItem
        verify(Helpers.findChild(form, "stockResult").visible)
        verify(Helpers.findChild(form, "stockSummary").text.startsWith("Yes, at Main Street we have 2"))
        compare(Helpers.findChild(form, "stockLines").count, 4)
        compare(Helpers.findChild(form, "stockError").visible, false)
        Helpers.findChild(form, "stockItem").text = "rain jacket"
        Helpers.findChild(form, "stockColour").text = "blue"
        themed(dialog)
        screenshot(testCase, "stock-check-answer")

        dialog.check = DemoData.stockFailure
        const error = Helpers.findChild(form, "stockError")
        tryVerify(() => error.visible)
        verify(error.children[0].text.startsWith("Shopify is not answering right now"))
        compare(Helpers.findChild(form, "stockResult").visible, false)
        dialog.close()
        tryCompare(dialog, "opened", false)
    }

    function test_stockCheckNeedsASignIn() {
        Session.signOut()
        const stack = createTemporaryObject(staffStack, testCase)
        const page = stack.currentItem
        const dialog = page.stockCheckDialog
        mouseClick(Helpers.findChild(page, "stockButton"))
        tryCompare(dialog, "opened", true)
        const form = dialog.contentItem
        const check = Helpers.findChild(form, "stockCheckButton")
        compare(check.enabled, false) // nothing asked yet
        Helpers.findChild(form, "stockItem").text = "tent"
        verify(check.enabled)
        verify(check.height >= 48)
        mouseClick(check)
        const error = Helpers.findChild(form, "stockError")
        tryVerify(() => error.visible)
        compare(error.children[0].text, "Sign in first.")
        dialog.close()
    }

    function test_narrowTablet() {
        const stack = createTemporaryObject(narrowStack, testCase)
        const list = Helpers.findChild(stack.currentItem, "appointmentList")
        tryCompare(list, "count", 4, 10000)
        // Buttons stay touch-sized and inside the screen.
        const first = rowAt(list, 0)
        const confirm = Helpers.findChild(first, "confirmButton")
        verify(confirm.height >= 48)
        const right = confirm.mapToItem(stack, confirm.width, 0).x
        verify(right <= stack.width, "the Confirm button runs off the screen: " + right)
        screenshot(stack, "appointments-narrow")
    }
}
