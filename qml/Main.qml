import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts
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

    // A page to open once signed in ("calls", "tasks", "appointments", "conflicts",
    // "integrations", "privacy", "wallboard", "manager-dashboard", "executive-dashboard"), for
    // demos and screenshots.
    // Without one, the people who take calls start on the calls page: it is their work;
    // executives start on their dashboard.
    property string startPage: ""

    Material.theme: Material.Light
    Material.primary: "#1f3a5f"
    Material.accent: Material.Teal

    header: ConnectionBanner {
        connectionState: ServerConnection.state
        retryInSeconds: ServerConnection.retryInSeconds
        serverNode: ServerConnection.serverNode
        signedInOffline: Session.offline
        onRetryRequested: ServerConnection.retryNow()
    }

    // A call ringing for the person while they are on another page: a bar that takes them to it.
    ScreenPop {
        id: callAlert

        sync: Session.role === "staff" || Session.role === "manager" ? Sync : null
    }

    footer: ToolBar {
        objectName: "callAlert"
        visible: Session.state === Session.SignedIn && callAlert.phase === ScreenPop.Ringing
                 && stack.currentItem !== null && stack.currentItem.objectName !== "callsPage"
        implicitHeight: 64
        Material.foreground: "white"
        background: Rectangle {
            color: "#1565c0"
        }

        RowLayout {
            anchors.fill: parent
            anchors.leftMargin: 16
            anchors.rightMargin: 8
            spacing: 12

            Label {
                text: callAlert.headline
                color: "white"
                font.pixelSize: 19
                font.weight: Font.Bold
                elide: Text.ElideRight
                Layout.fillWidth: true
                Accessible.role: Accessible.Alert
                Accessible.name: text
            }
            Button {
                text: qsTr("Open")
                implicitHeight: 48
                Material.background: "white"
                Material.foreground: "#1565c0"
                Accessible.name: qsTr("Open the call on the calls page")
                onClicked: stack.push(callsPage)
            }
        }
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
            onPrivacyRequested: stack.push(privacyPage)
            onTasksRequested: stack.push(tasksPage)
            onCallsRequested: stack.push(callsPage)
            onConflictsRequested: stack.push(conflictsPage)
            onAppointmentsRequested: stack.push(appointmentsPage)
            onIntegrationsRequested: stack.push(integrationsPage)
            onWallboardRequested: stack.push(wallboardPage)
            onManagerDashboardRequested: stack.push(managerDashboardPage)
            onExecutiveDashboardRequested: stack.push(executiveDashboardPage)
        }
    }

    Component {
        id: wallboardPage

        WallboardPage {}
    }

    Component {
        id: managerDashboardPage

        ManagerDashboardPage {}
    }

    Component {
        id: executiveDashboardPage

        ExecutiveDashboardPage {}
    }

    Component {
        id: conflictsPage

        ConflictsPage {}
    }

    Component {
        id: callsPage

        CallsPage {}
    }

    Component {
        id: tasksPage

        TasksPage {}
    }

    Component {
        id: appointmentsPage

        AppointmentsPage {}
    }

    Component {
        id: integrationsPage

        IntegrationsPage {}
    }

    Component {
        id: usersPage

        UsersPage {}
    }

    Component {
        id: auditPage

        AuditPage {}
    }

    Component {
        id: privacyPage

        PrivacyPage {}
    }

    Connections {
        target: Session

        function onSignedIn() {
            if (stack.depth === 1)
                stack.push(statusPage)
            const takesCalls = Session.role === "staff" || Session.role === "manager"
            const seesOrganisation = Session.role === "executive" || Session.role === "admin"
            if (window.startPage === "tasks")
                stack.push(tasksPage)
            else if (window.startPage === "appointments" && takesCalls)
                stack.push(appointmentsPage)
            else if (window.startPage === "conflicts")
                stack.push(conflictsPage)
            else if (window.startPage === "integrations" && Session.role === "admin")
                stack.push(integrationsPage)
            else if (window.startPage === "privacy" && Session.role === "admin")
                stack.push(privacyPage)
            else if (window.startPage === "wallboard")
                stack.push(wallboardPage)
            else if (window.startPage === "manager-dashboard" && (Session.role === "manager" || seesOrganisation))
                stack.push(managerDashboardPage)
            else if (window.startPage === "executive-dashboard" && seesOrganisation)
                stack.push(executiveDashboardPage)
            else if (takesCalls && (window.startPage === "calls" || window.startPage === ""))
                stack.push(callsPage)
            else if (Session.role === "executive" && window.startPage === "")
                stack.push(executiveDashboardPage)
        }
        function onStateChanged() {
            if (Session.state === Session.SignedOut && stack.depth > 1)
                stack.pop(null)
        }
    }
}
