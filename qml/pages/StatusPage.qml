import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts
import CallCommander.Core

// Who is signed in on this device and what it is connected to. Stays while the connection drops
// and comes back (the banner says which).
Page {
    id: page

    signal signOutRequested
    signal peopleRequested
    signal auditRequested
    signal privacyRequested
    signal tasksRequested
    signal callsRequested
    signal conflictsRequested
    signal appointmentsRequested
    signal integrationsRequested
    signal wallboardRequested
    signal managerDashboardRequested
    signal executiveDashboardRequested

    // "Synced 12 s ago", refreshed while the page is shown.
    property date now: new Date()
    function ago(when) {
        const seconds = Math.max(0, Math.round((page.now.getTime() - when.getTime()) / 1000))
        if (seconds < 5)
            return qsTr("just now")
        if (seconds < 60)
            return qsTr("%1 seconds ago").arg(seconds)
        const minutes = Math.round(seconds / 60)
        if (seconds < 3600)
            return minutes === 1 ? qsTr("a minute ago") : qsTr("%1 minutes ago").arg(minutes)
        return when.toLocaleString(Qt.locale(), Locale.ShortFormat)
    }
    Timer {
        interval: 1000
        running: page.visible
        repeat: true
        onTriggered: page.now = new Date()
    }

    title: qsTr("This device")

    ScrollView {
        anchors.fill: parent
        contentWidth: availableWidth

        ColumnLayout {
            width: Math.min(page.width - 48, 640)
            x: (page.width - width) / 2
            spacing: 16

            Item { Layout.preferredHeight: 16 }

            Label {
                objectName: "userName"
                text: Session.userName
                font.pixelSize: 30
                font.weight: Font.Bold
                color: Material.primary
                Layout.fillWidth: true
                elide: Text.ElideRight
            }
            Label {
                objectName: "roleLine"
                text: qsTr("%1 · %2").arg(Session.role.charAt(0).toUpperCase() + Session.role.slice(1))
                                      .arg(Session.organisationName)
                font.pixelSize: 18
                opacity: 0.8
            }
            Label {
                objectName: "stores"
                visible: Session.storeNames.length > 0
                text: Session.storeNames.length === 1 ? Session.storeNames[0]
                                                      : qsTr("%n stores: ", "", Session.storeNames.length) + Session.storeNames.join(", ")
                wrapMode: Text.WordWrap
                font.pixelSize: 16
                Layout.fillWidth: true
            }

            Frame {
                objectName: "syncStatus"
                Layout.fillWidth: true
                Layout.topMargin: 8

                ColumnLayout {
                    anchors.fill: parent
                    spacing: 6

                    Label {
                        objectName: "syncState"
                        text: !Sync.active ? qsTr("Offline data: not open")
                              : Sync.bootstrapping ? qsTr("Downloading this device's data… %1%").arg(Math.round(Sync.bootstrapProgress * 100))
                              : Sync.state === Sync.Online ? qsTr("Up to date")
                              : Sync.state === Sync.Syncing ? qsTr("Syncing…")
                              : qsTr("Offline: working from this device's data")
                        font.pixelSize: 18
                        font.weight: Font.DemiBold
                        color: Sync.state === Sync.Online ? "#1b5e20" : Sync.state === Sync.Syncing ? "#1f3a5f" : "#8a4b00"
                    }
                    ProgressBar {
                        visible: Sync.bootstrapping
                        value: Sync.bootstrapProgress
                        Layout.fillWidth: true
                    }
                    Label {
                        objectName: "syncDetails"
                        visible: Sync.active
                        text: (Sync.lastSyncedAt.getTime() > 0 ? qsTr("Last synced %1").arg(page.ago(Sync.lastSyncedAt))
                                                                : qsTr("Not synced yet"))
                              + " · " + (Sync.pendingWrites === 0 ? qsTr("all changes sent")
                                                                   : (Sync.pendingWrites === 1 ? qsTr("1 change waiting to be sent")
                                                                                          : qsTr("%1 changes waiting to be sent").arg(Sync.pendingWrites)))
                        font.pixelSize: 15
                        opacity: 0.8
                        wrapMode: Text.WordWrap
                        Layout.fillWidth: true
                    }
                    RowLayout {
                        visible: Sync.conflictCount > 0
                        spacing: 12
                        Layout.fillWidth: true

                        Label {
                            objectName: "conflictCount"
                            text: Sync.conflictCount === 1 ? qsTr("1 of your changes was not kept")
                                                           : qsTr("%1 of your changes were not kept").arg(Sync.conflictCount)
                            font.pixelSize: 15
                            color: "#8a1c12"
                            wrapMode: Text.WordWrap
                            Layout.fillWidth: true
                        }
                        Button {
                            objectName: "conflictsButton"
                            text: qsTr("See why")
                            implicitHeight: 48
                            Accessible.name: qsTr("See which changes were not kept and why")
                            onClicked: page.conflictsRequested()
                        }
                    }
                }
            }

            Button {
                objectName: "callsButton"
                visible: Session.role === "staff" || Session.role === "manager"
                text: qsTr("Calls: queue, staff and presence")
                implicitHeight: 56
                font.pixelSize: 18
                Accessible.name: qsTr("Calls: the queue, the staff board and your presence")
                onClicked: page.callsRequested()
            }

            Button {
                objectName: "tasksButton"
                visible: Session.role === "staff" || Session.role === "manager"
                text: qsTr("Callbacks and follow-ups")
                implicitHeight: 56
                font.pixelSize: 18
                Accessible.name: text
                onClicked: page.tasksRequested()
            }

            // How many callers wait for a confirmation, on the button that leads to them.
            AppointmentsModel {
                id: appointments

                sync: Session.role === "staff" || Session.role === "manager" ? Sync : null
            }
            Button {
                objectName: "appointmentsButton"
                visible: Session.role === "staff" || Session.role === "manager"
                text: appointments.requestedCount > 0
                      ? qsTr("Appointments · %n to confirm", "", appointments.requestedCount)
                      : qsTr("Appointments")
                implicitHeight: 56
                font.pixelSize: 18
                Accessible.name: qsTr("Appointments: confirm requests, book, check stock")
                onClicked: page.appointmentsRequested()
            }

            // Figures: the store's wallboard for those who take calls, their dashboard for
            // managers, the organisation's for executives and admins.
            Button {
                objectName: "wallboardButton"
                visible: Session.role === "staff" || Session.role === "manager"
                text: qsTr("Wallboard: today at the store")
                implicitHeight: 56
                font.pixelSize: 18
                Accessible.name: qsTr("Wallboard: the store's calls today, live")
                onClicked: page.wallboardRequested()
            }
            Button {
                objectName: "managerDashboardButton"
                visible: Session.role === "manager"
                text: qsTr("Store dashboard: staff and trends")
                implicitHeight: 56
                font.pixelSize: 18
                Accessible.name: qsTr("Store dashboard: today's figures, who answered, the trend by day")
                onClicked: page.managerDashboardRequested()
            }
            Button {
                objectName: "executiveDashboardButton"
                visible: Session.role === "executive" || Session.role === "admin"
                text: qsTr("Executive dashboard")
                implicitHeight: 56
                font.pixelSize: 18
                Accessible.name: qsTr("Executive dashboard: stores and regions ranked, trends, busy hours")
                onClicked: page.executiveDashboardRequested()
            }

            GridLayout {
                columns: 2
                columnSpacing: 24
                rowSpacing: 10
                Layout.fillWidth: true
                Layout.topMargin: 12

                Label { text: qsTr("Server"); font.pixelSize: 16; opacity: 0.7 }
                Label {
                    objectName: "serverUrl"
                    text: ServerConnection.url
                    font.pixelSize: 16
                    elide: Text.ElideMiddle
                    Layout.fillWidth: true
                }
                Label { text: qsTr("Server node"); font.pixelSize: 16; opacity: 0.7 }
                Label { objectName: "serverNode"; text: ServerConnection.serverNode; font.pixelSize: 16 }
                Label { text: qsTr("Server version"); font.pixelSize: 16; opacity: 0.7 }
                Label { text: ServerConnection.serverVersion; font.pixelSize: 16 }
                Label { text: qsTr("Protocol"); font.pixelSize: 16; opacity: 0.7 }
                Label { text: ServerConnection.protocolVersion; font.pixelSize: 16 }
                Label { text: qsTr("App version"); font.pixelSize: 16; opacity: 0.7 }
                Label { text: ServerConnection.clientVersion; font.pixelSize: 16 }
            }

            Label {
                visible: ServerConnection.lastError.length > 0
                text: ServerConnection.lastError
                wrapMode: Text.WordWrap
                font.pixelSize: 16
                color: "#8a1c12"
                Layout.fillWidth: true
            }

            Button {
                objectName: "peopleButton"
                visible: Session.role === "admin" || Session.role === "manager"
                text: Session.role === "admin" ? qsTr("People of the organisation") : qsTr("People of my stores")
                implicitHeight: 56
                font.pixelSize: 18
                Layout.topMargin: 16
                Accessible.name: text
                onClicked: page.peopleRequested()
            }

            Button {
                objectName: "auditButton"
                visible: Session.role === "admin"
                text: qsTr("Audit log")
                implicitHeight: 56
                font.pixelSize: 18
                Accessible.name: text
                onClicked: page.auditRequested()
            }

            Button {
                objectName: "privacyButton"
                visible: Session.role === "admin"
                text: qsTr("Privacy requests")
                implicitHeight: 56
                font.pixelSize: 18
                Accessible.name: qsTr("Privacy requests: export or erase a customer's personal data")
                onClicked: page.privacyRequested()
            }

            Button {
                objectName: "integrationsButton"
                visible: Session.role === "admin"
                text: qsTr("Integrations: stock and calendar")
                implicitHeight: 56
                font.pixelSize: 18
                Accessible.name: qsTr("Integrations: Shopify, Square and Google Calendar")
                onClicked: page.integrationsRequested()
            }

            Button {
                objectName: "signOutButton"
                text: qsTr("Sign out")
                implicitHeight: 56
                font.pixelSize: 18
                Layout.topMargin: 16
                Accessible.name: qsTr("Sign out of this device")
                onClicked: page.signOutRequested()
            }
        }
    }
}
