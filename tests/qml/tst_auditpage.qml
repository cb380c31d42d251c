import QtQuick
import QtQuick.Controls
import QtTest
import CallCommander.Core
import CallCommander.Ui
import "helpers.js" as Helpers

// The audit log page loads for anyone, and without a sign-in it says what to do instead of
// showing an empty list.
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
    }
}
