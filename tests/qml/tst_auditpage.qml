import QtQuick
import QtQuick.Controls
import QtTest
import CallCommander.Core
import CallCommander.Ui
import "helpers.js" as Helpers

// The audit log page loads for anyone, and without a sign-in it says what to do instead of
// showing an empty list. Its filter bar sets the log's filters in one go, catches a date the
// server would not read, clears again, and wraps at a phone's width.
TestCase {
    id: testCase

    name: "AuditPage"
    width: 800
    height: 600
    visible: true
    when: windowShown

    Component {
        id: stackComponent

        StackView {
            anchors.fill: parent
            initialItem: AuditPage {}
        }
    }

    Component {
        id: phoneStack

        StackView {
            width: 360
            height: 640
            initialItem: AuditPage {}
        }
    }

    function test_signedOutSaysSo() {
        Session.signOut()
        const stack = createTemporaryObject(stackComponent, testCase)
        verify(stack)
        const page = stack.currentItem
        verify(page)
        compare(page.title, "Audit log")
        const error = Helpers.findChild(page, "auditError")
        verify(error)
        tryVerify(() => error.visible)
        compare(Helpers.findChild(page, "auditList").count, 0)
        // Nothing older to load.
        compare(Helpers.findChild(page, "loadOlder").visible, false)
    }

    function test_filterBar() {
        Session.signOut()
        const stack = createTemporaryObject(stackComponent, testCase)
        const page = stack.currentItem
        const names = ["actionFilter", "personFilter", "fromDate", "toDate", "applyFilters",
                       "clearFilters"]
        for (const name of names) {
            const control = Helpers.findChild(page, name)
            verify(control, name)
            verify(control.height >= 48, name)
            verify(control.Accessible.name.length > 0, name)
        }
        const action = Helpers.findChild(page, "actionFilter")
        compare(action.currentText, "Everything")
        compare(Helpers.findChild(page, "personFilter").currentText, "Anyone")

        // A day the server would not read is caught here.
        Helpers.findChild(page, "fromDate").text = "31/12/2024"
        mouseClick(Helpers.findChild(page, "applyFilters"))
        compare(page.audit.fromDate, "31/12/2024")
        tryVerify(() => page.audit.error.indexOf("2024-05-31") >= 0)
        verify(Helpers.findChild(page, "auditError").visible)

        action.currentIndex = 1
        Helpers.findChild(page, "fromDate").text = "2024-05-01"
        Helpers.findChild(page, "toDate").text = "2024-05-31"
        mouseClick(Helpers.findChild(page, "applyFilters"))
        compare(page.audit.actionFilter, "user.")
        compare(page.audit.fromDate, "2024-05-01")
        compare(page.audit.toDate, "2024-05-31")
        compare(page.audit.actorFilter, "")

        mouseClick(Helpers.findChild(page, "clearFilters"))
        compare(page.audit.actionFilter, "")
        compare(page.audit.fromDate, "")
        compare(Helpers.findChild(page, "fromDate").text, "")
        compare(action.currentIndex, 0)
    }

    function test_filterBarWrapsOnAPhone() {
        const stack = createTemporaryObject(phoneStack, testCase)
        const page = stack.currentItem
        const action = Helpers.findChild(page, "actionFilter")
        const person = Helpers.findChild(page, "personFilter")
        waitForRendering(page)
        verify(action.width <= 360)
        tryVerify(() => person.y > action.y, 1000, "one control a line")
        verify(Helpers.findChild(page, "auditList").height > 100, "room left for the log")
    }
}
