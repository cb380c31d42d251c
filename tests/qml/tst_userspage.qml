import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtTest
import CallCommander.Core
import CallCommander.Ui
import CallCommander.TestData
import "helpers.js" as Helpers

// The people page loads for anyone, and without a sign-in it says what to do instead of
// showing an empty list. An admin gets the invite form (stores from the device's cache), and the
// one-time setup code is shown in a dialog that says it is shown only once and copies it; at a
// phone's width as at a desktop's.
TestCase {
    id: testCase

    name: "UsersPage"
    width: 800
    height: 700
    visible: true
    when: windowShown

    Component {
        id: stackComponent

        StackView {
            anchors.fill: parent
            initialItem: UsersPage {}
        }
    }

    Component {
        id: adminStack

        StackView {
            anchors.fill: parent
            Material.primary: "#1f3a5f"
            Material.accent: Material.Teal
            initialItem: UsersPage {
                admin: true
                cache: DemoData.managerSync
            }
        }
    }

    Component {
        id: phoneStack

        StackView {
            width: 360
            height: 640
            initialItem: UsersPage {
                admin: true
                cache: DemoData.managerSync
            }
        }
    }

    function dialogChild(dialog, name) {
        return Helpers.findChild(dialog.contentItem, name) || Helpers.findChild(dialog.footer, name)
    }

    function test_signedOutSaysSo() {
        Session.signOut()
        const stack = createTemporaryObject(stackComponent, testCase)
        verify(stack)
        const page = stack.currentItem
        verify(page)
        compare(page.title, "People")
        const error = Helpers.findChild(page, "usersError")
        verify(error)
        tryVerify(() => error.visible)
        compare(Helpers.findChild(page, "usersList").count, 0)
        // Only admins manage accounts.
        compare(Helpers.findChild(page, "inviteButton").visible, false)
    }

    function test_inviteForm() {
        Session.signOut()
        const stack = createTemporaryObject(adminStack, testCase)
        const page = stack.currentItem
        const invite = Helpers.findChild(page, "inviteButton")
        verify(invite.visible)
        verify(invite.height >= 48)
        mouseClick(invite)
        const dialog = page.inviteDialog
        tryVerify(() => dialog.opened)
        const email = dialogChild(dialog, "inviteEmail")
        const name = dialogChild(dialog, "inviteName")
        const role = dialogChild(dialog, "inviteRole")
        const send = dialogChild(dialog, "sendInvite")
        for (const control of [email, name, role, send])
            verify(control && control.height >= 48 && control.Accessible.name.length > 0)
        compare(role.currentText, "staff")
        // The stores come from the device's cache, one switch each.
        const stores = dialogChild(dialog, "storePicker")
        tryVerify(() => stores.count > 0)
        verify(!send.enabled, "nothing typed yet")
        email.text = "kim@northwind.example"
        name.text = "Kim Lee"
        verify(!send.enabled, "staff need a store")
        const firstStore = stores.itemAtIndex(0)
        verify(firstStore.height >= 48)
        verify(firstStore.Accessible.name.indexOf("Works at") === 0)
        mouseClick(firstStore)
        tryVerify(() => send.enabled)
        mouseClick(firstStore)
        tryVerify(() => !send.enabled)
        // An executive works across the organisation: no store needed.
        role.currentIndex = 2
        tryVerify(() => send.enabled)
        // Without a sign-in the server cannot be asked: said, not swallowed.
        mouseClick(send)
        tryVerify(() => !dialog.visible)
        const error = Helpers.findChild(page, "usersError")
        tryVerify(() => error.visible)
        compare(page.actionError, "Sign in first.")
    }

    function test_manageSomeonesAccount() {
        const stack = createTemporaryObject(adminStack, testCase)
        const page = stack.currentItem
        page.openManage("u-1", "Kim Lee", "staff", [DemoData.mainStreet], true, false)
        const dialog = page.manageDialog
        tryVerify(() => dialog.opened)
        compare(dialog.title, "Kim Lee's account")
        compare(dialogChild(dialog, "manageName").text, "Kim Lee")
        const role = dialogChild(dialog, "manageRole")
        compare(role.currentText, "staff")
        verify(role.enabled)
        const save = dialogChild(dialog, "saveUser")
        verify(!save.enabled, "nothing changed yet")
        // Their store is on; switching another on is a change.
        const stores = dialogChild(dialog, "storePicker")
        tryVerify(() => stores.count > 1)
        let mine = -1
        for (let i = 0; i < stores.count; ++i) {
            if (stores.itemAtIndex(i).storeId === DemoData.mainStreet)
                mine = i
        }
        verify(mine >= 0)
        verify(stores.itemAtIndex(mine).checked)
        role.currentIndex = 1
        tryVerify(() => save.enabled)
        role.currentIndex = 0
        tryVerify(() => !save.enabled)
        for (const name of ["resetPassword", "disableUser", "saveUser"]) {
            const button = dialogChild(dialog, name)
            verify(button.visible, name)
            verify(button.height >= 48, name)
            verify(button.Accessible.name.indexOf("Kim Lee") >= 0, name)
        }
        compare(dialogChild(dialog, "enableUser").visible, false)
        // Reset asks first.
        mouseClick(dialogChild(dialog, "resetPassword"))
        tryVerify(() => !dialog.visible)
        tryVerify(() => page.resetDialog.opened)
        compare(page.resetDialog.title, "Reset Kim Lee's password?")
        page.resetDialog.close()
    }

    function test_ownAccountKeepsItsRole() {
        const stack = createTemporaryObject(adminStack, testCase)
        const page = stack.currentItem
        page.openManage("me", "Dana", "admin", [], true, true)
        const dialog = page.manageDialog
        tryVerify(() => dialog.opened)
        compare(dialogChild(dialog, "manageRole").currentText, "admin")
        verify(!dialogChild(dialog, "manageRole").enabled)
        compare(dialogChild(dialog, "resetPassword").visible, false)
        compare(dialogChild(dialog, "disableUser").visible, false)
        // A disabled colleague can be enabled instead.
        dialog.close()
        page.openManage("u-2", "Sam", "manager", [], false, false)
        tryVerify(() => dialog.opened)
        verify(dialogChild(dialog, "enableUser").visible)
        compare(dialogChild(dialog, "disableUser").visible, false)
    }

    function test_setupCodeIsShownOnce() {
        const stack = createTemporaryObject(adminStack, testCase)
        const page = stack.currentItem
        page.showCode("Kim Lee", "7KQ2-M9XD-4HTR-WP3A", "2030-01-31T09:00:00Z")
        const dialog = page.codeDialog
        tryVerify(() => dialog.opened)
        compare(dialog.title, "Setup code for Kim Lee")
        const code = dialogChild(dialog, "setupCode")
        compare(code.text, "7KQ2-M9XD-4HTR-WP3A")
        verify(code.readOnly)
        verify(dialogChild(dialog, "shownOnce").text.indexOf("shown only once") >= 0)
        const copy = dialogChild(dialog, "copyCode")
        verify(copy.height >= 48)
        compare(copy.text, "Copy")
        mouseClick(copy)
        compare(copy.text, "Copied")
        // A tap beside the dialog does not lose the code; Done does, for good.
        mouseClick(stack, 5, 5)
        verify(dialog.visible)
        const done = dialogChild(dialog, "codeDone")
        verify(done.height >= 48)
        mouseClick(done)
        tryVerify(() => !dialog.visible)
        compare(dialog.code, "")
        compare(code.text, "")
    }

    function test_fitsAPhone() {
        const stack = createTemporaryObject(phoneStack, testCase)
        const page = stack.currentItem
        verify(page.narrow)
        page.openInvite()
        tryVerify(() => page.inviteDialog.opened)
        verify(page.inviteDialog.width <= 360 - 32)
        verify(page.inviteDialog.height <= 640)
        page.inviteDialog.close()
        page.showCode("Kim", "7KQ2-M9XD-4HTR-WP3A", "2030-01-31T09:00:00Z")
        tryVerify(() => page.codeDialog.opened)
        verify(page.codeDialog.width <= 360 - 32)
        verify(dialogChild(page.codeDialog, "copyCode").visible)
    }
}
