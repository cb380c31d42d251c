import QtQuick
import QtQuick.Controls
import QtTest
import CallCommander.Core
import CallCommander.Ui
import "helpers.js" as Helpers

// Before anyone signs in there is no offline cache: the status page says so, and the tasks page
// waits for the first sync instead of claiming there is nothing to do.
TestCase {
    id: testCase

    name: "SyncStatus"
    width: 800
    height: 700
    visible: true
    when: windowShown

    Component {
        id: statusStack

        StackView {
            anchors.fill: parent
            initialItem: StatusPage {}
        }
    }

    Component {
        id: tasksStack

        StackView {
            anchors.fill: parent
            initialItem: TasksPage {}
        }
    }

    function test_statusWithoutCache() {
        const stack = createTemporaryObject(statusStack, testCase)
        verify(stack)
        const state = Helpers.findChild(stack.currentItem, "syncState")
        verify(state)
        compare(Sync.active, false)
        compare(state.text, "Offline data: not open")
        compare(Helpers.findChild(stack.currentItem, "syncDetails").visible, false)
    }

    function test_tasksWaitForTheFirstSync() {
        const stack = createTemporaryObject(tasksStack, testCase)
        verify(stack)
        const list = Helpers.findChild(stack.currentItem, "taskList")
        verify(list)
        compare(list.count, 0)
        const showDone = Helpers.findChild(stack.currentItem, "showDone")
        verify(showDone)
        showDone.checked = true
        compare(list.count, 0)
    }
}
