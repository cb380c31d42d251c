import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts
import CallCommander.Core
import CallCommander.Ui

// The organisation's audit log, newest first, a page at a time. Read-only: nobody can change
// it. A filter bar narrows it to a kind of action, a person and a range of days (UTC).
Page {
    id: page

    // The log (the server's; a test gives its own) and the people to filter by.
    property AuditModel audit: AuditModel {
        session: Session
    }
    property UsersModel people: UsersModel {
        session: Session
    }

    // What the filter bar offers, "" meaning everything.
    readonly property var actionLabels: [qsTr("Everything"), qsTr("People's accounts"),
        qsTr("Sign-ins"), qsTr("Routing rules"), qsTr("Integrations"), qsTr("Analytics"),
        qsTr("Customers' data")]
    readonly property var actionPrefixes: ["", "user.", "session.", "routing_rules.",
        "integration.", "analytics", "customer."]

    // Sets the model's filters from the bar: one reload for all of them.
    function applyFilters() {
        audit.actionFilter = actionPrefixes[actionBox.currentIndex]
        audit.actorFilter = personBox.currentIndex > 0
                ? people.data(people.index(personBox.currentIndex - 1, 0), UsersModel.IdRole) : ""
        audit.fromDate = fromField.text.trim()
        audit.toDate = toField.text.trim()
    }

    function clearFilters() {
        actionBox.currentIndex = 0
        personBox.currentIndex = 0
        fromField.text = ""
        toField.text = ""
        audit.clearFilters()
    }

    title: qsTr("Audit log")

    // "Anyone", then the people by name.
    ListModel {
        id: personChoices
    }

    function refreshPeople() {
        const chosen = personBox.currentIndex > 0 ? personChoices.get(personBox.currentIndex).userId : ""
        personChoices.clear()
        personChoices.append({ label: qsTr("Anyone"), userId: "" })
        for (let i = 0; i < people.rowCount(); ++i) {
            const at = people.index(i, 0)
            personChoices.append({ label: people.data(at, UsersModel.NameRole),
                                   userId: people.data(at, UsersModel.IdRole) })
        }
        let index = 0
        for (let i = 1; i < personChoices.count; ++i) {
            if (personChoices.get(i).userId === chosen)
                index = i
        }
        personBox.currentIndex = index
    }

    Component.onCompleted: refreshPeople()

    Connections {
        target: page.people

        function onModelReset() {
            page.refreshPeople()
        }
    }

    header: ToolBar {
        Material.background: "white"
        Material.foreground: "#1f3a5f"
        Material.elevation: 1

        RowLayout {
            anchors.fill: parent
            anchors.leftMargin: 8
            anchors.rightMargin: 8

            ToolButton {
                text: qsTr("‹ Back")
                implicitHeight: 48
                visible: page.StackView.view !== null && page.StackView.index > 0
                Accessible.name: qsTr("Back")
                onClicked: page.StackView.view.pop()
            }
            Label {
                text: page.title
                font.pixelSize: 22
                font.weight: Font.DemiBold
                elide: Text.ElideRight
                Layout.fillWidth: true
            }
            BusyIndicator {
                running: page.audit.loading
                visible: running
                implicitWidth: 40
                implicitHeight: 40
            }
            ToolButton {
                text: qsTr("Refresh")
                implicitHeight: 48
                enabled: !page.audit.loading
                Accessible.name: qsTr("Refresh the audit log")
                onClicked: page.audit.reload()
            }
        }
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 0

        // The filter bar: wraps onto more lines on a narrow screen.
        Pane {
            objectName: "auditFilters"
            Layout.fillWidth: true
            Material.background: "#f4f6f8"
            padding: 8

            Flow {
                width: parent.width
                spacing: 8

                ChoiceBox {
                    id: actionBox

                    objectName: "actionFilter"
                    width: page.width < 600 ? parent.width : 200
                    model: page.actionLabels
                    Accessible.name: qsTr("Kind of action")
                }
                ChoiceBox {
                    id: personBox

                    objectName: "personFilter"
                    width: page.width < 600 ? parent.width : 220
                    model: personChoices
                    textRole: "label"
                    Accessible.name: qsTr("Who did it")
                }
                TextField {
                    id: fromField

                    objectName: "fromDate"
                    width: page.width < 600 ? (parent.width - 8) / 2 : 150
                    implicitHeight: 52
                    placeholderText: qsTr("From (YYYY-MM-DD)")
                    inputMethodHints: Qt.ImhDate
                    Accessible.name: qsTr("From this day, UTC, written year-month-day")
                    onAccepted: page.applyFilters()
                }
                TextField {
                    id: toField

                    objectName: "toDate"
                    width: page.width < 600 ? (parent.width - 8) / 2 : 150
                    implicitHeight: 52
                    placeholderText: qsTr("To (YYYY-MM-DD)")
                    inputMethodHints: Qt.ImhDate
                    Accessible.name: qsTr("Through this day, UTC, written year-month-day")
                    onAccepted: page.applyFilters()
                }
                Button {
                    objectName: "applyFilters"
                    text: qsTr("Show")
                    highlighted: true
                    implicitHeight: 52
                    Accessible.name: qsTr("Show the entries that match")
                    onClicked: page.applyFilters()
                }
                Button {
                    objectName: "clearFilters"
                    text: qsTr("Clear")
                    flat: true
                    implicitHeight: 52
                    Accessible.name: qsTr("Clear the filters and show everything")
                    onClicked: page.clearFilters()
                }
            }
        }

        Pane {
            objectName: "auditError"
            visible: page.audit.error.length > 0
            Layout.fillWidth: true
            Material.background: "#fdecea"

            Label {
                width: parent.width
                text: page.audit.error
                color: "#8a1c12"
                wrapMode: Text.WordWrap
                font.pixelSize: 16
                Accessible.role: Accessible.AlertMessage
                Accessible.name: text
            }
        }

        ListView {
            id: list

            objectName: "auditList"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            model: page.audit
            ScrollBar.vertical: ScrollBar {}

            delegate: ItemDelegate {
                id: entry

                // Role names avoid "action", which every button already has.
                required property string when
                required property string what
                required property string who
                required property string whoName
                required property string target
                required property string targetName
                required property string detail

                readonly property string by: whoName.length > 0 ? whoName : who

                width: ListView.view.width
                implicitHeight: detail.length > 0 ? 80 : 64
                Accessible.name: qsTr("%1 at %2").arg(what).arg(when)

                contentItem: ColumnLayout {
                    spacing: 2

                    Label {
                        text: entry.what + (entry.targetName.length > 0 ? " · " + entry.targetName
                                            : entry.target.length > 0 ? " · " + entry.target : "")
                        font.pixelSize: 16
                        elide: Text.ElideRight
                        Layout.fillWidth: true
                    }
                    Label {
                        text: entry.when + (entry.by.length > 0 ? qsTr(" · by %1").arg(entry.by) : "")
                        font.pixelSize: 13
                        opacity: 0.7
                        elide: Text.ElideRight
                        Layout.fillWidth: true
                    }
                    Label {
                        visible: entry.detail.length > 0
                        text: entry.detail
                        font.pixelSize: 12
                        font.family: "monospace"
                        opacity: 0.6
                        elide: Text.ElideRight
                        Layout.fillWidth: true
                    }
                }
            }

            footer: Item {
                width: ListView.view.width
                implicitHeight: page.audit.hasMore ? 72 : 0
                visible: page.audit.hasMore

                Button {
                    objectName: "loadOlder"
                    anchors.centerIn: parent
                    text: page.audit.loadingMore ? qsTr("Loading…") : qsTr("Load older")
                    enabled: !page.audit.loadingMore
                    implicitHeight: 48
                    Accessible.name: qsTr("Load older entries")
                    onClicked: page.audit.loadOlder()
                }
            }

            Label {
                anchors.centerIn: parent
                visible: list.count === 0 && !page.audit.loading && page.audit.error.length === 0
                text: page.audit.actionFilter.length > 0 || page.audit.actorFilter.length > 0
                      || page.audit.fromDate.length > 0 || page.audit.toDate.length > 0
                      ? qsTr("Nothing matches these filters") : qsTr("Nothing recorded yet")
                opacity: 0.6
                font.pixelSize: 16
            }
        }
    }
}
