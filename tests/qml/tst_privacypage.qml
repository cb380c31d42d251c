import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtTest
import CallCommander.Core
import CallCommander.Ui
import CallCommander.TestData
import "helpers.js" as Helpers

// The privacy requests page loads for anyone; without a sign-in its list is empty and a search
// says what to do. Erasing asks first, says what happens, and stays disabled until ERASE is
// typed. Rows (given here as the server would send them) show who a request may be about, erased
// customers greyed; the results of an export and an erasure are shown. At a tablet's, a phone's
// and a desktop's width. Screenshots go to DemoData.screenshotFolder.
TestCase {
    id: testCase

    name: "PrivacyPage"
    width: 800
    height: 1000
    visible: true
    when: windowShown

    // Three customers as the server lists them (newest contact first), one already erased.
    ListModel {
        id: sample

        function fill() {
            clear()
            const now = new Date()
            append({ customerId: "5d3b8a52-6f0e-4b8e-9a57-2c1d7e4f9a01", displayName: "Zoe Marker",
                     email: "zoe.marker@example.com", phones: "+12125550177, +12125550178",
                     stores: "Main Street, Riverside",
                     lastCallAt: new Date(now.getTime() - 3 * 3600 * 1000), erased: false,
                     erasedAt: new Date(NaN) })
            append({ customerId: "0b7e1c9d-2a4f-4f11-8d3e-6a5b4c3d2e10", displayName: "Zoe Martins",
                     email: "", phones: "+12125550190", stores: "Harbour Point",
                     lastCallAt: new Date(now.getTime() - 9 * 24 * 3600 * 1000), erased: false,
                     erasedAt: new Date(NaN) })
            append({ customerId: "9c8d7e6f-5a4b-4c3d-8e2f-1a0b9c8d7e6f",
                     displayName: "Erased customer", email: "", phones: "",
                     stores: "Main Street", lastCallAt: new Date(now.getTime() - 40 * 24 * 3600 * 1000),
                     erased: true, erasedAt: new Date(now.getTime() - 12 * 24 * 3600 * 1000) })
        }
    }

    Component {
        id: emptyStack

        StackView {
            anchors.fill: parent
            Material.primary: "#1f3a5f"
            Material.accent: Material.Teal
            initialItem: PrivacyPage {}
        }
    }

    Component {
        id: sampleStack

        StackView {
            anchors.fill: parent
            Material.primary: "#1f3a5f"
            Material.accent: Material.Teal
            initialItem: PrivacyPage {
                rows: sample
            }
        }
    }

    Component {
        id: phoneStack

        StackView {
            width: 360
            height: 720
            Material.primary: "#1f3a5f"
            Material.accent: Material.Teal
            initialItem: PrivacyPage {
                rows: sample
            }
        }
    }

    Component {
        id: desktopStack

        StackView {
            width: 1280
            height: 800
            Material.primary: "#1f3a5f"
            Material.accent: Material.Teal
            initialItem: PrivacyPage {
                rows: sample
            }
        }
    }

    // Popups take their colours from the window (see tst_appointmentspage.qml).
    function themed(popup) {
        popup.Material.primary = "#1f3a5f"
        popup.Material.accent = Material.Teal
    }

    // Saves a picture of `item` (with any popup over it) and checks it is not blank.
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

    function dialogChild(dialog, name) {
        return Helpers.findChild(dialog.contentItem, name) || Helpers.findChild(dialog.footer, name)
    }

    function typeText(text) {
        for (let i = 0; i < text.length; ++i)
            keyClick(text[i])
    }

    // The result of an erasure as the model hands it over.
    function erasure(recordings) {
        return { customerId: "5d3b8a52-6f0e-4b8e-9a57-2c1d7e4f9a01", erasedAt: new Date(),
                 alreadyErased: false, notes: 2, phones: 2, selfServiceTurns: 1, calls: 3,
                 tasks: 1, appointments: 1, providerRecordingsToDelete: recordings }
    }

    function test_searchWithoutASignIn() {
        Session.signOut()
        const stack = createTemporaryObject(emptyStack, testCase)
        const page = stack.currentItem
        verify(page)
        compare(page.title, "Privacy requests")
        const field = Helpers.findChild(page, "searchField")
        const button = Helpers.findChild(page, "searchButton")
        for (const control of [field, button]) {
            verify(control)
            verify(control.visible)
            verify(control.height >= 48)
            verify(control.Accessible.name.length > 0)
        }
        compare(field.placeholderText, "Phone, e-mail or name")
        compare(button.text, "Search")
        // Nothing searched yet: the list is empty and says how to start.
        const list = Helpers.findChild(page, "customerList")
        compare(list.count, 0)
        const empty = Helpers.findChild(page, "emptyState")
        verify(empty.visible)
        verify(empty.text.indexOf("phone number") >= 0, empty.text)
        compare(Helpers.findChild(page, "privacyError").visible, false)
        verify(Helpers.findChild(page, "exportFolder").text.indexOf(page.requests.defaultExportFolder) >= 0)
        verify(!button.enabled, "nothing typed yet")

        // Ready to type into; without a sign-in the server cannot be asked: said, not swallowed.
        tryVerify(() => field.activeFocus)
        typeText("zoe")
        verify(button.enabled)
        keyClick(Qt.Key_Return)
        compare(page.requests.query, "zoe")
        const error = Helpers.findChild(page, "privacyError")
        tryVerify(() => error.visible)
        compare(page.requests.error, "Sign in first.")
        compare(list.count, 0)
        screenshot(stack, "privacy-signed-out")
    }

    function test_eraseNeedsTheWord() {
        const stack = createTemporaryObject(emptyStack, testCase)
        const page = stack.currentItem
        page.confirmErase("5d3b8a52-6f0e-4b8e-9a57-2c1d7e4f9a01", "Zoe Marker")
        const dialog = page.eraseDialog
        tryVerify(() => dialog.opened)
        compare(dialog.title, "Erase Zoe Marker's personal data?")
        // It says what happens, and that it is for good.
        const words = []
        const collect = item => {
            if (item.text !== undefined && typeof item.text === "string")
                words.push(item.text)
            for (let i = 0; i < item.children.length; ++i)
                collect(item.children[i])
        }
        collect(dialog.contentItem.contentItem)
        const said = words.join(" ")
        for (const part of ["notes and phone numbers are deleted", "calls, tasks and appointments",
                            "every figure keeps its value", "next sync", "cannot be undone",
                            "Twilio"])
            verify(said.indexOf(part) >= 0, part)

        const field = dialogChild(dialog, "eraseConfirmation")
        const erase = dialogChild(dialog, "eraseButton")
        const cancel = dialogChild(dialog, "cancelErase")
        for (const control of [field, erase, cancel]) {
            verify(control.height >= 48)
            verify(control.Accessible.name.length > 0)
        }
        verify(erase.Accessible.name.indexOf("Zoe Marker") >= 0)
        compare(field.text, "")
        verify(!erase.enabled, "nothing typed yet")
        tryVerify(() => field.activeFocus)
        typeText("ERAS")
        verify(!erase.enabled, "not the whole word")
        field.text = "erase"
        verify(!erase.enabled, "the word in capitals")
        field.text = "DELETE"
        verify(!erase.enabled, "another word")
        field.text = ""
        typeText("ERASE")
        compare(field.text, "ERASE")
        verify(erase.enabled)
        themed(dialog)
        screenshot(testCase, "privacy-erase-dialog")

        // Cancel erases nothing; opened again, the word must be typed again.
        mouseClick(cancel)
        tryVerify(() => !dialog.visible)
        compare(page.requests.error, "")
        page.confirmErase("5d3b8a52-6f0e-4b8e-9a57-2c1d7e4f9a01", "Zoe Marker")
        tryVerify(() => dialog.opened)
        compare(field.text, "")
        verify(!erase.enabled)

        // Confirmed, the model is asked to erase (and, signed out, says so).
        Session.signOut()
        tryVerify(() => field.activeFocus)
        typeText("ERASE")
        keyClick(Qt.Key_Return)
        tryVerify(() => !dialog.visible)
        tryCompare(page.requests, "error", "Sign in first.")
        verify(Helpers.findChild(page, "privacyError").visible)
    }

    function test_resultsAtATabletsWidth() {
        sample.fill()
        const stack = createTemporaryObject(sampleStack, testCase)
        const page = stack.currentItem
        verify(!page.narrow)
        const list = Helpers.findChild(page, "customerList")
        tryCompare(list, "count", 3)
        waitForRendering(stack) // laid out at the page's width
        compare(Helpers.findChild(page, "emptyState").visible, false)
        for (let i = 0; i < list.count; ++i) {
            tryVerify(() => list.itemAtIndex(i) !== null, 5000, "row " + i)
            const row = list.itemAtIndex(i)
            const exportButton = Helpers.findChild(row, "export_" + row.customerId)
            const eraseButton = Helpers.findChild(row, "erase_" + row.customerId)
            for (const button of [exportButton, eraseButton]) {
                verify(button.visible)
                verify(button.height >= 48)
                verify(button.Accessible.name.length > 0)
                // Inside the row, not cut off.
                const at = button.mapToItem(row, 0, 0)
                verify(at.x >= 0 && at.x + button.width <= row.width, button.objectName)
            }
            compare(exportButton.text, "Export data")
            compare(Helpers.findChild(row, "erasedOn").visible, row.erased)
            compare(eraseButton.enabled, !row.erased)
            verify(row.Accessible.name.length > 0)
        }
        compare(Helpers.findChild(list.itemAtIndex(0), "name").text, "Zoe Marker")
        const erased = list.itemAtIndex(2)
        verify(Helpers.findChild(erased, "erasedOn").text.startsWith("Erased on "))
        // An erase button opens the confirmation for that customer.
        mouseClick(Helpers.findChild(list.itemAtIndex(1), "erase_" + list.itemAtIndex(1).customerId))
        tryVerify(() => page.eraseDialog.opened)
        compare(page.eraseDialog.who, "Zoe Martins")
        page.eraseDialog.close()
        tryVerify(() => !page.eraseDialog.visible)
        screenshot(stack, "privacy-results")

        // After an export: where the file is.
        page.exportedName = "Zoe Marker"
        page.exportedPath = "/home/dana/Documents/customer-5d3b8a52-6f0e-4b8e-9a57-2c1d7e4f9a01-2025-06-02.json"
        const saved = Helpers.findChild(page, "exportNotice")
        verify(saved.visible)
        verify(Helpers.findChild(saved, "exportedPath").text.indexOf(page.exportedPath) >= 0)

        // After an erasure: the counts, and the recordings to delete at Twilio.
        page.exportedPath = ""
        page.erasedName = "Zoe Marker"
        page.erasure = erasure(["https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE0001",
                                "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE0002"])
        const notice = Helpers.findChild(page, "erasureNotice")
        verify(notice.visible)
        verify(Helpers.findChild(notice, "erasureSummary").text.startsWith("Zoe Marker's personal data was erased on"))
        compare(Helpers.findChild(notice, "erasureCounts").text,
                "Deleted: 2 notes, 2 phone numbers, 1 self-service answer. Made anonymous, with their figures kept: 3 calls, 1 task, 1 appointment. Every tablet applies it at its next sync.")
        verify(Helpers.findChild(notice, "recordingsToDelete").text.indexOf("2 voicemail recordings") >= 0)
        compare(Helpers.findChild(notice, "recordingLinks").text.split("\n").length, 2)
        const copy = Helpers.findChild(notice, "copyRecordings")
        verify(copy.visible && copy.height >= 48)
        screenshot(stack, "privacy-erased")
        mouseClick(copy)
        compare(copy.text, "Copied")

        // None to delete, or erased before: said as well.
        page.erasure = erasure([])
        verify(Helpers.findChild(notice, "recordingsToDelete").text.indexOf("No voicemail recordings") >= 0)
        verify(!Helpers.findChild(notice, "copyRecordings").visible)
        const again = erasure([])
        again.alreadyErased = true
        page.erasure = again
        verify(Helpers.findChild(notice, "erasureSummary").text.indexOf("already erased") >= 0)
        verify(!Helpers.findChild(notice, "erasureCounts").visible)
        mouseClick(Helpers.findChild(notice, "closeErasure"))
        verify(!notice.visible)
    }

    function test_fitsAPhone() {
        sample.fill()
        const stack = createTemporaryObject(phoneStack, testCase)
        const page = stack.currentItem
        verify(page.narrow)
        const list = Helpers.findChild(page, "customerList")
        tryCompare(list, "count", 3)
        waitForRendering(stack) // laid out at the page's width
        tryVerify(() => list.itemAtIndex(0) !== null)
        const row = list.itemAtIndex(0)
        for (const name of ["export_", "erase_"]) {
            const button = Helpers.findChild(row, name + row.customerId)
            const at = button.mapToItem(row, 0, 0)
            verify(at.x >= 0 && at.x + button.width <= row.width, name)
            verify(button.height >= 48)
        }
        page.confirmErase(row.customerId, row.displayName)
        tryVerify(() => page.eraseDialog.opened)
        verify(page.eraseDialog.width <= 360 - 32)
        verify(page.eraseDialog.height <= 720 - 32)
        verify(dialogChild(page.eraseDialog, "eraseButton").visible)
        themed(page.eraseDialog)
        screenshot(stack, "privacy-phone-dialog")
        page.eraseDialog.close()
        tryVerify(() => !page.eraseDialog.visible)
        screenshot(stack, "privacy-phone")
    }

    function test_desktop() {
        // A desktop's window for this test only.
        const window = testCase.Window.window
        const size = Qt.size(window.width, window.height)
        window.width = 1280
        window.height = 800
        testCase.width = 1280
        testCase.height = 800
        try {
            sample.fill()
            const stack = createTemporaryObject(desktopStack, testCase)
            const page = stack.currentItem
            verify(!page.narrow)
            const list = Helpers.findChild(page, "customerList")
            tryCompare(list, "count", 3)
            tryVerify(() => list.itemAtIndex(0) !== null)
            const row = list.itemAtIndex(0)
            // The buttons beside the customer, at the right (once laid out).
            const button = Helpers.findChild(row, "erase_" + row.customerId)
            const name = Helpers.findChild(row, "name")
            tryVerify(() => {
                const at = button.mapToItem(row, 0, 0)
                return at.x + button.width > row.width - 40 && at.y < name.height + 40
            }, 5000, "the buttons beside the customer")
            page.erasedName = "Zoe Marker"
            page.erasure = erasure(["https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE0001"])
            screenshot(stack, "privacy-desktop")
            const image = grabImage(stack)
            compare(image.width, 1280)
        } finally {
            testCase.width = 800
            testCase.height = 1000
            window.width = size.width
            window.height = size.height
        }
    }
}
