import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import CallCommander.Core
import CallCommander.Ui

ApplicationWindow {
    id: window

    width: 1024
    height: 720
    minimumWidth: 360
    minimumHeight: 480
    visible: true
    title: qsTr("Call Commander")

    // A page to open once signed in ("tasks", "conflicts"), for demos and screenshots.
    property string startPage: ""

    Material.theme: Material.Light
    Material.primary: "#1f3a5f"
    Material.accent: Material.Teal

    header: ConnectionBanner {
        connectionState: ServerConnection.state
        retryInSeconds: ServerConnection.retryInSeconds
        serverNode: ServerConnection.serverNode
        onRetryRequested: ServerConnection.retryNow()
    }

    StackView {
        id: stack

        anchors.fill: parent
        initialItem: SignInPage {}
    }

    Component {
        id: statusPage

        StatusPage {
            onSignOutRequested: Session.signOut()
            onPeopleRequested: stack.push(usersPage)
            onAuditRequested: stack.push(auditPage)
            onTasksRequested: stack.push(tasksPage)
            onConflictsRequested: stack.push(conflictsPage)
        }
    }

    Component {
        id: conflictsPage

        ConflictsPage {}
    }

    Component {
        id: tasksPage

        TasksPage {}
    }

    Component {
        id: usersPage

        UsersPage {}
    }

    Component {
        id: auditPage

        AuditPage {}
    }

    Connections {
        target: Session

        function onSignedIn() {
            if (stack.depth === 1)
                stack.push(statusPage)
            if (window.startPage === "tasks")
                stack.push(tasksPage)
            else if (window.startPage === "conflicts")
                stack.push(conflictsPage)
        }
        function onStateChanged() {
            if (Session.state === Session.SignedOut && stack.depth > 1)
                stack.pop(null)
        }
    }
}
