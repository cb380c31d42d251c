import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts
import CallCommander.Core
import CallCommander.Ui

// A store's day so far, for the wall or the counter tablet: callers waiting now and for how long,
// the service level, answered of offered, abandoned calls and the average wait, in tiles big
// enough to read across the shop, and today's calls by hour. Live from the server; through an
// outage the last figures stay, marked with their age. Staff and everyone above them.
Page {
    id: page

    objectName: "wallboardPage"

    // Where the figures and the person's stores come from (a test gives its own).
    property AnalyticsFeed feed: AnalyticsFeed
    property QtObject cache: Sync
    property string role: Session.role
    readonly property bool landscape: width >= height
    readonly property bool roomy: width >= 900 && height >= 700

    title: qsTr("Wallboard")

    StoresModel {
        id: stores

        sync: page.cache
        all: page.role === "executive" || page.role === "admin"
    }
    LiveAnalytics {
        id: live

        objectName: "wallboardLive"
        feed: page.feed
        storeId: storePicker.currentValue !== undefined ? storePicker.currentValue : ""
    }

    header: ToolBar {
        Material.background: "white"
        Material.foreground: "#1f3a5f"
        Material.elevation: 1

        RowLayout {
            anchors.fill: parent
            anchors.leftMargin: 8
            anchors.rightMargin: 16
            spacing: 12

            ToolButton {
                objectName: "backButton"
                visible: page.StackView.view !== null && page.StackView.index > 0
                text: qsTr("‹ Back")
                implicitHeight: 48
                Accessible.name: qsTr("Back")
                onClicked: page.StackView.view.pop()
            }
            Label {
                objectName: "wallboardTitle"
                text: stores.count > 0 && storePicker.currentIndex >= 0
                      ? qsTr("Today at %1").arg(storePicker.currentText) : page.title
                font.pixelSize: page.roomy ? 26 : 22
                font.weight: Font.DemiBold
                elide: Text.ElideRight
                Layout.fillWidth: true
            }
            ComboBox {
                id: storePicker

                objectName: "storePicker"
                visible: stores.count > 1
                model: stores
                textRole: "label"
                valueRole: "storeId"
                // The first store once the list has come from the cache; then the person's choice.
                currentIndex: stores.count > 0 ? 0 : -1
                implicitWidth: 240
                Accessible.name: qsTr("Store shown")
            }
            FreshnessChip {
                live: live
            }
        }
    }

    background: Rectangle {
        color: "#f6f8fa"
    }

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: page.roomy ? 20 : 12
        spacing: page.roomy ? 16 : 10

        Pane {
            objectName: "wallboardError"
            visible: page.feed !== null && page.feed.error.length > 0
            Layout.fillWidth: true
            Material.background: "#fdecea"

            Label {
                width: parent.width
                text: page.feed !== null ? page.feed.error : ""
                color: "#8a1c12"
                wrapMode: Text.WordWrap
                font.pixelSize: 16
            }
        }

        Label {
            objectName: "noStore"
            visible: stores.count === 0 && !stores.loading
            text: qsTr("This device has no store for you yet: the wallboard shows your store once its data has synced.")
            wrapMode: Text.WordWrap
            font.pixelSize: 18
            color: "#546e7a"
            Layout.fillWidth: true
        }

        // Landscape: two rows of three; portrait: three rows of two.
        GridLayout {
            id: tiles

            objectName: "wallboardTiles"
            columns: page.landscape ? 3 : 2
            columnSpacing: page.roomy ? 16 : 10
            rowSpacing: page.roomy ? 16 : 10
            Layout.fillWidth: true
            Layout.preferredHeight: page.landscape ? page.height * 0.48 : page.height * 0.52

            FigureTile {
                objectName: "waitingTile"
                title: qsTr("Waiting now")
                value: live.hasData ? live.waiting : "–"
                detail: live.waiting === 1 ? qsTr("caller in the queue") : qsTr("callers in the queue")
                tone: live.waiting > 0 ? live.waitTone : live.hasData ? LiveAnalytics.Good : LiveAnalytics.Neutral
                stale: live.stale
                Layout.fillWidth: true
                Layout.fillHeight: true
            }
            FigureTile {
                objectName: "longestWaitTile"
                title: qsTr("Longest wait")
                value: live.longestWaitText
                detail: live.waiting > 0 ? qsTr("minutes : seconds") : qsTr("nobody is waiting")
                tone: live.waiting > 0 ? live.waitTone : LiveAnalytics.Neutral
                stale: live.stale
                Layout.fillWidth: true
                Layout.fillHeight: true
            }
            FigureTile {
                objectName: "serviceLevelTile"
                title: qsTr("Service level today")
                value: live.serviceLevelText
                detail: qsTr("answered within %1 s").arg(live.serviceLevelSeconds)
                tone: live.serviceLevelTone
                stale: live.stale
                Layout.fillWidth: true
                Layout.fillHeight: true
            }
            FigureTile {
                objectName: "answeredTile"
                title: qsTr("Answered")
                value: live.answeredText
                detail: qsTr("answered / offered")
                stale: live.stale
                Layout.fillWidth: true
                Layout.fillHeight: true
            }
            FigureTile {
                objectName: "abandonedTile"
                title: qsTr("Abandoned")
                value: live.hasData ? live.abandoned : "–"
                detail: qsTr("%1 of calls").arg(live.abandonRateText)
                tone: live.abandonTone
                stale: live.stale
                Layout.fillWidth: true
                Layout.fillHeight: true
            }
            FigureTile {
                objectName: "asaTile"
                title: qsTr("Average wait to answer")
                value: live.asaText
                detail: qsTr("ASA today")
                stale: live.stale
                Layout.fillWidth: true
                Layout.fillHeight: true
            }
        }

        HourlyChart {
            live: live
            fontPixelSize: page.roomy ? 18 : 14
            Layout.fillWidth: true
            Layout.fillHeight: true
            Layout.minimumHeight: 200
        }
    }
}
