import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts
import CallCommander.Core
import CallCommander.Ui

// The calls screen of staff and managers: their presence at the top, the caller card when a call
// is theirs, the store's live queue and the staff board. All of it comes from the device's
// offline cache and moves as synced changes arrive; the page's clock only moves the timers.
Page {
    id: page

    objectName: "callsPage"

    // Where the lists read from (the app's Sync; a test gives its own cache) and whose screen
    // this is (managers get the full staff board).
    property QtObject cache: Sync
    property string role: Session.role
    readonly property bool manager: role === "manager"
    readonly property bool wide: width >= 900

    property date now: new Date()

    title: qsTr("Calls")

    Timer {
        interval: 1000
        running: page.visible
        repeat: true
        onTriggered: page.now = new Date()
    }

    QueueModel {
        id: queueModel

        sync: page.cache
    }
    StaffBoardModel {
        id: boardModel

        sync: page.cache
    }
    ScreenPop {
        id: screenPop

        sync: page.cache
    }
    Presence {
        id: myPresence

        sync: page.cache
        session: Session
    }

    header: ToolBar {
        Material.background: "white"
        Material.foreground: "#1f3a5f"
        Material.elevation: 1

        RowLayout {
            anchors.fill: parent
            anchors.leftMargin: 8
            anchors.rightMargin: 16

            ToolButton {
                objectName: "backButton"
                visible: page.StackView.view !== null && page.StackView.index > 0
                text: qsTr("‹ Back")
                implicitHeight: 48
                Accessible.name: qsTr("Back")
                onClicked: page.StackView.view.pop()
            }
            Label {
                text: page.title
                font.pixelSize: 22
                font.weight: Font.DemiBold
                elide: Text.ElideRight
                Layout.fillWidth: true
                Layout.leftMargin: 8
            }
            Label {
                objectName: "syncNote"
                visible: page.cache !== null && page.cache.state !== Sync.Online
                text: page.cache !== null && page.cache.active ? qsTr("Offline: live state may be behind")
                                                               : qsTr("Offline data not open")
                color: "#8a4b00"
                font.pixelSize: 14
            }
        }
    }

    // A Flickable rather than a ScrollView: the ScrollView's contentWidth: availableWidth makes
    // a binding loop on the page's implicit width together with the header (Qt 6.4).
    Flickable {
        id: scroller

        objectName: "callsScroller"
        anchors.fill: parent
        contentWidth: width
        contentHeight: column.implicitHeight + 32
        boundsBehavior: Flickable.StopAtBounds
        clip: true
        ScrollBar.vertical: ScrollBar {}

        ColumnLayout {
            id: column

            width: scroller.width - 32
            x: 16
            y: 16
            spacing: 16

            PresenceBar {
                presence: myPresence
                Layout.fillWidth: true
            }

            ScreenPopPanel {
                objectName: "screenPop"
                visible: screenPop.active
                pop: screenPop
                now: page.now
                Layout.fillWidth: true
            }

            // Staff see their colleagues as a strip above the queue; managers see the full board
            // beside it (below it where the window is narrow).
            GridLayout {
                columns: page.manager && page.wide ? 2 : 1
                columnSpacing: 24
                rowSpacing: 16
                Layout.fillWidth: true

                QueueList {
                    queue: queueModel
                    now: page.now
                    Layout.row: page.manager ? 0 : 1
                    Layout.column: 0
                    Layout.fillWidth: true
                    Layout.alignment: Qt.AlignTop
                }
                StaffBoard {
                    board: boardModel
                    compact: !page.manager
                    now: page.now
                    Layout.row: page.manager && !page.wide ? 1 : 0
                    Layout.column: page.manager && page.wide ? 1 : 0
                    Layout.fillWidth: !(page.manager && page.wide)
                    Layout.preferredWidth: page.manager && page.wide ? 340 : -1
                    Layout.alignment: Qt.AlignTop
                }
            }
        }
    }
}
