import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtTest
import CallCommander.Core
import CallCommander.Ui
import CallCommander.TestData
import "helpers.js" as Helpers

// From the caller card: Carmen Ortiz rings Rosa at Riverside (DemoData.bookingSync). "Check
// stock" opens at the caller's store; "Book an appointment for Carmen Ortiz" books for her at
// Riverside, offline into Rosa's outbox, and the card shows it among Carmen's appointments.
TestCase {
    id: testCase

    name: "ScreenPopActions"
    width: 1024
    height: 1000
    visible: true
    when: windowShown

    Component {
        id: rosaStack

        StackView {
            anchors.fill: parent
            Material.primary: "#1f3a5f"
            Material.accent: Material.Teal
            initialItem: CallsPage {
                cache: DemoData.bookingSync
                role: "staff"
            }
        }
    }

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

    function test_checkStockAtTheCallersStore() {
        const stack = createTemporaryObject(rosaStack, testCase)
        const page = stack.currentItem
        const panel = Helpers.findChild(page, "screenPop")
        tryVerify(() => panel.visible, 10000)
        compare(Helpers.findChild(page, "screenPopHeadline").text, "Call for you from Carmen Ortiz — Riverside")
        const stock = Helpers.findChild(page, "checkStockButton")
        verify(stock.visible)
        verify(stock.height >= 48)
        mouseClick(stock)
        const dialog = panel.stockCheckDialog
        tryCompare(dialog, "opened", true)
        compare(dialog.storeId, DemoData.riverside)
        dialog.close()
        tryCompare(dialog, "opened", false)
    }

    function test_bookForTheCaller() {
        const stack = createTemporaryObject(rosaStack, testCase)
        const page = stack.currentItem
        const panel = Helpers.findChild(page, "screenPop")
        tryVerify(() => panel.visible, 10000)
        const appointments = Helpers.findChild(page, "appointments")
        tryCompare(appointments.items, "length", 1) // her ski boot fitting at Main Street
        const book = Helpers.findChild(page, "bookAppointmentButton")
        compare(book.text, "Book an appointment for Carmen Ortiz")
        mouseClick(book)
        const dialog = panel.bookingDialog
        tryCompare(dialog, "opened", true)
        const form = dialog.contentItem
        compare(Helpers.findChild(form, "bookingCustomer").text, "Carmen Ortiz")
        tryCompare(Helpers.findChild(form, "bookingStoreName"), "text", "Riverside")
        const day = Helpers.findChild(form, "bookingDay")
        day.currentIndex = 2
        day.activated(2)
        const time = Helpers.findChild(form, "bookingTime")
        const slot = time.model.indexOf("10:30")
        time.currentIndex = slot
        time.activated(slot)
        Helpers.findChild(form, "bookingPurpose").text = "Kayak fitting"
        const when = Helpers.findChild(form, "bookingWhen")
        tryVerify(() => when.text.indexOf("10:30–11:00 at Riverside") >= 0, 5000, when.text + " / " + Helpers.findChild(form, "bookingError").text)
        themed(dialog)
        screenshot(testCase, "screenpop-book-appointment")

        const pending = DemoData.bookingSync.pendingWrites
        mouseClick(Helpers.findChild(dialog.footer, "bookButton"))
        tryCompare(dialog, "opened", false, 10000)
        tryCompare(DemoData.bookingSync, "pendingWrites", pending + 1, 10000)
        const notice = Helpers.findChild(page, "bookedNotice")
        tryVerify(() => notice.visible)
        verify(notice.text.indexOf("10:30–11:00 at Riverside") >= 0)
        // The card follows the cache: Carmen now has two.
        tryCompare(appointments.items, "length", 2, 10000)
    }
}
