import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts
import CallCommander.Core
import CallCommander.Ui

// A manager's store: today's figures live, who answered the calls today, and how the store did
// day by day (the last 14 days to start with; any days and any of their stores).
Page {
    id: page

    objectName: "managerDashboardPage"

    // Where the figures, the names and the stores come from, and the trend's report (a test
    // gives its own).
    property AnalyticsFeed feed: AnalyticsFeed
    property QtObject cache: Sync
    property string role: Session.role
    property AnalyticsReport trend: AnalyticsReport {
        session: Session
        by: "day"
    }
    readonly property bool wide: width >= 1000
    readonly property string storeId: storePicker.currentValue !== undefined ? storePicker.currentValue : ""

    title: qsTr("Store dashboard")

    StoresModel {
        id: stores

        sync: page.cache
        all: page.role === "executive" || page.role === "admin"
    }
    LiveAnalytics {
        id: live

        objectName: "managerLive"
        feed: page.feed
        storeId: page.storeId
    }
    LiveStaffModel {
        id: staff

        live: live
        sync: page.cache
    }
    AnalyticsRange {
        id: range
    }
    // The trend follows the days and the store chosen here.
    Binding {
        target: page.trend
        property: "from"
        value: range.from
    }
    Binding {
        target: page.trend
        property: "to"
        value: range.to
    }
    Binding {
        target: page.trend
        property: "locations"
        value: page.storeId.length > 0 ? [page.storeId] : []
        when: page.storeId.length > 0
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
                text: page.title
                font.pixelSize: 22
                font.weight: Font.DemiBold
                elide: Text.ElideRight
                Layout.fillWidth: true
            }
            ComboBox {
                id: storePicker

                objectName: "storePicker"
                model: stores
                textRole: "label"
                valueRole: "storeId"
                // The first store once the list has come from the cache; then the person's choice.
                currentIndex: stores.count > 0 ? 0 : -1
                // Wide enough for the store's whole name (up to a limit), so it is not cut off.
                implicitWidth: Math.min(460, Math.max(240, contentItem.implicitWidth + leftPadding
                                                      + rightPadding
                                                      + (indicator ? indicator.width : 0)))
                Accessible.name: qsTr("Store shown")
            }
        }
    }

    background: Rectangle {
        color: "#f6f8fa"
    }

    Flickable {
        id: scroller

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

            RowLayout {
                spacing: 12
                Layout.fillWidth: true

                Label {
                    text: qsTr("Today so far")
                    font.pixelSize: 20
                    font.weight: Font.DemiBold
                    color: "#1f3a5f"
                }
                FreshnessChip {
                    live: live
                }
                Item { Layout.fillWidth: true }
            }

            Pane {
                objectName: "liveError"
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

            GridLayout {
                objectName: "managerTiles"
                columns: page.width >= 1100 ? 6 : page.width >= 640 ? 3 : 2
                columnSpacing: 12
                rowSpacing: 12
                Layout.fillWidth: true

                FigureTile {
                    title: qsTr("Waiting now")
                    value: live.hasData ? live.waiting : "–"
                    detail: live.waiting > 0 ? qsTr("longest %1").arg(live.longestWaitText) : qsTr("nobody waiting")
                    tone: live.waiting > 0 ? live.waitTone : LiveAnalytics.Neutral
                    stale: live.stale
                    valuePixelSize: 56
                    Layout.fillWidth: true
                    Layout.preferredHeight: 130
                }
                FigureTile {
                    objectName: "serviceLevelTile"
                    title: qsTr("Service level")
                    value: live.serviceLevelText
                    detail: qsTr("within %1 s").arg(live.serviceLevelSeconds)
                    tone: live.serviceLevelTone
                    stale: live.stale
                    valuePixelSize: 56
                    Layout.fillWidth: true
                    Layout.preferredHeight: 130
                }
                FigureTile {
                    title: qsTr("Answered")
                    value: live.answeredText
                    detail: qsTr("of offered")
                    stale: live.stale
                    valuePixelSize: 56
                    Layout.fillWidth: true
                    Layout.preferredHeight: 130
                }
                FigureTile {
                    title: qsTr("Abandoned")
                    value: live.abandonRateText
                    detail: live.abandoned === 1 ? qsTr("1 call") : qsTr("%1 calls").arg(live.abandoned)
                    tone: live.abandonTone
                    stale: live.stale
                    valuePixelSize: 56
                    Layout.fillWidth: true
                    Layout.preferredHeight: 130
                }
                FigureTile {
                    title: qsTr("ASA · AHT")
                    value: live.asaText
                    detail: qsTr("handling %1").arg(live.ahtText)
                    stale: live.stale
                    valuePixelSize: 56
                    Layout.fillWidth: true
                    Layout.preferredHeight: 130
                }
                FigureTile {
                    title: qsTr("FCR")
                    value: live.fcrText
                    detail: qsTr("resolved first time")
                    stale: live.stale
                    valuePixelSize: 56
                    Layout.fillWidth: true
                    Layout.preferredHeight: 130
                }
            }

            // The people beside the trend where there is room, under it where not.
            GridLayout {
                columns: page.wide ? 2 : 1
                columnSpacing: 16
                rowSpacing: 16
                Layout.fillWidth: true

                Frame {
                    Layout.fillWidth: true
                    Layout.preferredWidth: 1
                    Layout.alignment: Qt.AlignTop
                    background: Rectangle {
                        color: "white"
                        radius: 12
                        border.color: "#dde3ea"
                    }

                    ColumnLayout {
                        anchors.fill: parent
                        spacing: 10

                        Label {
                            text: qsTr("Who answered today")
                            font.pixelSize: 20
                            font.weight: Font.DemiBold
                            color: "#1f3a5f"
                        }
                        StaffFiguresTable {
                            objectName: "staffTable"
                            staff: staff
                            Layout.fillWidth: true
                        }
                    }
                }

                Frame {
                    Layout.fillWidth: true
                    Layout.preferredWidth: 1
                    Layout.alignment: Qt.AlignTop
                    background: Rectangle {
                        color: "white"
                        radius: 12
                        border.color: "#dde3ea"
                    }

                    ColumnLayout {
                        anchors.fill: parent
                        spacing: 10

                        RowLayout {
                            spacing: 8
                            Layout.fillWidth: true

                            Label {
                                text: qsTr("Day by day")
                                font.pixelSize: 20
                                font.weight: Font.DemiBold
                                color: "#1f3a5f"
                            }
                            Item { Layout.fillWidth: true }
                            BusyIndicator {
                                running: page.trend.loading
                                visible: running
                                implicitWidth: 36
                                implicitHeight: 36
                            }
                        }
                        RangePicker {
                            range: range
                            Layout.fillWidth: true
                        }
                        Label {
                            objectName: "trendError"
                            visible: page.trend.error.length > 0
                            text: page.trend.error
                            color: "#8a1c12"
                            wrapMode: Text.WordWrap
                            font.pixelSize: 15
                            Layout.fillWidth: true
                        }
                        TrendChart {
                            report: page.trend
                            Layout.fillWidth: true
                            Layout.preferredHeight: 340
                        }
                    }
                }
            }
        }
    }
}
