import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts
import CallCommander.Core
import CallCommander.Ui

// The organisation at a glance, for executives and admins: today so far (live), the stores and
// regions ranked over the chosen days (any column sorts), the trend day by day, and when the
// calls come by weekday and hour. The days and the store filter apply to all of it; Export CSV
// saves the ranking shown.
Page {
    id: page

    objectName: "executiveDashboardPage"

    // Where the figures and the stores come from, and the reports (a test gives its own).
    property AnalyticsFeed feed: AnalyticsFeed
    property QtObject cache: Sync
    property AnalyticsReport stores: AnalyticsReport {
        session: Session
        by: "store"
        sortRole: "serviceLevel"
    }
    property AnalyticsReport regions: AnalyticsReport {
        session: Session
        by: "region"
        sortRole: "serviceLevel"
    }
    property AnalyticsReport trend: AnalyticsReport {
        session: Session
        by: "day"
    }
    property AnalyticsHeatMap heatMap: AnalyticsHeatMap {
        session: Session
    }
    readonly property bool wide: width >= 1100
    readonly property AnalyticsReport ranking: rankingTabs.currentIndex === 0 ? stores : regions
    readonly property list<string> locations: storeFilter.currentIndex >= 0 && storeFilter.currentValue !== undefined
                                     ? [storeFilter.currentValue] : []

    title: qsTr("Executive dashboard")

    StoresModel {
        id: storeList

        sync: page.cache
        all: true
    }
    LiveAnalytics {
        id: today

        objectName: "organisationLive"
        feed: page.feed
        organisation: true
    }
    AnalyticsRange {
        id: range

        preset: AnalyticsRange.Last30Days
    }

    // Every report follows the days and the store filter.
    Binding {
        target: page.stores
        property: "from"
        value: range.from
    }
    Binding {
        target: page.stores
        property: "to"
        value: range.to
    }
    Binding {
        target: page.stores
        property: "locations"
        value: page.locations
    }
    Binding {
        target: page.regions
        property: "from"
        value: range.from
    }
    Binding {
        target: page.regions
        property: "to"
        value: range.to
    }
    Binding {
        target: page.regions
        property: "locations"
        value: page.locations
    }
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
        value: page.locations
    }
    Binding {
        target: page.heatMap
        property: "from"
        value: range.from
    }
    Binding {
        target: page.heatMap
        property: "to"
        value: range.to
    }
    Binding {
        target: page.heatMap
        property: "locations"
        value: page.locations
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
            ToolButton {
                objectName: "refreshButton"
                text: qsTr("Refresh")
                implicitHeight: 48
                Accessible.name: qsTr("Ask the server for these figures again")
                onClicked: {
                    page.stores.refresh()
                    page.regions.refresh()
                    page.trend.refresh()
                    page.heatMap.refresh()
                }
            }
        }
    }

    background: Rectangle {
        color: "#f6f8fa"
    }

    component Card: Frame {
        Layout.fillWidth: true
        Layout.alignment: Qt.AlignTop
        background: Rectangle {
            color: "white"
            radius: 12
            border.color: "#dde3ea"
        }
    }
    component CardTitle: Label {
        font.pixelSize: 20
        font.weight: Font.DemiBold
        color: "#1f3a5f"
    }

    Flickable {
        id: scroller

        objectName: "executiveScroller"
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

            // Filters: the days and the store, for everything below but today's figures.
            Flow {
                spacing: 12
                Layout.fillWidth: true

                RangePicker {
                    range: range
                    width: Math.min(column.width, 620)
                }
                ComboBox {
                    id: storeFilter

                    objectName: "storeFilter"
                    model: storeList
                    textRole: "label"
                    valueRole: "storeId"
                    currentIndex: -1
                    displayText: currentIndex < 0 ? qsTr("All stores") : currentText
                    implicitWidth: 260
                    Accessible.name: qsTr("Stores shown")
                }
                Button {
                    objectName: "allStoresButton"
                    visible: storeFilter.currentIndex >= 0
                    text: qsTr("All stores")
                    flat: true
                    Accessible.name: qsTr("Show every store")
                    onClicked: storeFilter.currentIndex = -1
                }
            }

            // Today so far, the organisation's totals, live.
            Card {
                objectName: "todayCard"

                ColumnLayout {
                    anchors.fill: parent
                    spacing: 10

                    RowLayout {
                        spacing: 12
                        Layout.fillWidth: true

                        CardTitle { text: qsTr("Today so far, all stores") }
                        FreshnessChip { live: today }
                        Item { Layout.fillWidth: true }
                    }
                    GridLayout {
                        columns: page.width >= 1000 ? 6 : 3
                        columnSpacing: 12
                        rowSpacing: 12
                        Layout.fillWidth: true

                        FigureTile {
                            title: qsTr("Waiting now")
                            value: today.hasData ? today.waiting : "–"
                            detail: today.waiting > 0 ? qsTr("longest %1").arg(today.longestWaitText) : qsTr("nobody waiting")
                            tone: today.waiting > 0 ? today.waitTone : LiveAnalytics.Neutral
                            stale: today.stale
                            valuePixelSize: 44
                            Layout.fillWidth: true
                            Layout.preferredHeight: 110
                        }
                        FigureTile {
                            title: qsTr("Offered")
                            value: today.hasData ? today.offered : "–"
                            detail: qsTr("%1 self-served").arg(today.selfServed)
                            stale: today.stale
                            valuePixelSize: 44
                            Layout.fillWidth: true
                            Layout.preferredHeight: 110
                        }
                        FigureTile {
                            objectName: "todayServiceLevel"
                            title: qsTr("Service level")
                            value: today.serviceLevelText
                            detail: qsTr("within %1 s").arg(today.serviceLevelSeconds)
                            tone: today.serviceLevelTone
                            stale: today.stale
                            valuePixelSize: 44
                            Layout.fillWidth: true
                            Layout.preferredHeight: 110
                        }
                        FigureTile {
                            title: qsTr("Abandoned")
                            value: today.abandonRateText
                            detail: today.abandoned === 1 ? qsTr("1 call") : qsTr("%1 calls").arg(today.abandoned)
                            tone: today.abandonTone
                            stale: today.stale
                            valuePixelSize: 44
                            Layout.fillWidth: true
                            Layout.preferredHeight: 110
                        }
                        FigureTile {
                            title: qsTr("ASA")
                            value: today.asaText
                            detail: qsTr("average wait to answer")
                            stale: today.stale
                            valuePixelSize: 44
                            Layout.fillWidth: true
                            Layout.preferredHeight: 110
                        }
                        FigureTile {
                            title: qsTr("AHT")
                            value: today.ahtText
                            detail: qsTr("talk and wrap-up")
                            stale: today.stale
                            valuePixelSize: 44
                            Layout.fillWidth: true
                            Layout.preferredHeight: 110
                        }
                    }
                }
            }

            Card {
                objectName: "rankingCard"

                ColumnLayout {
                    anchors.fill: parent
                    spacing: 10

                    RowLayout {
                        spacing: 8
                        Layout.fillWidth: true

                        CardTitle { text: qsTr("Ranked") }
                        TabBar {
                            id: rankingTabs

                            objectName: "rankingTabs"
                            Layout.preferredWidth: 240

                            TabButton {
                                text: qsTr("Stores")
                                Accessible.name: qsTr("Rank the stores")
                            }
                            TabButton {
                                text: qsTr("Regions")
                                Accessible.name: qsTr("Rank the regions")
                            }
                        }
                        Item { Layout.fillWidth: true }
                        BusyIndicator {
                            running: page.ranking.loading || page.ranking.exporting
                            visible: running
                            implicitWidth: 36
                            implicitHeight: 36
                        }
                        Button {
                            objectName: "exportButton"
                            text: qsTr("Export CSV")
                            enabled: !page.ranking.exporting
                            Accessible.name: qsTr("Export these figures as a CSV file to %1").arg(page.ranking.suggestedExportPath())
                            onClicked: page.ranking.exportCsv("")
                        }
                    }
                    Label {
                        objectName: "exportMessage"
                        visible: page.ranking.exportMessage.length > 0
                        text: page.ranking.exportMessage
                        color: page.ranking.exportFailed ? "#8a1c12" : "#1b5e20"
                        wrapMode: Text.WrapAnywhere
                        font.pixelSize: 14
                        Layout.fillWidth: true
                    }
                    RankingTable {
                        objectName: "storeRanking"
                        visible: rankingTabs.currentIndex === 0
                        report: page.stores
                        nameTitle: qsTr("Store")
                        Layout.fillWidth: true
                    }
                    RankingTable {
                        objectName: "regionRanking"
                        visible: rankingTabs.currentIndex === 1
                        report: page.regions
                        nameTitle: qsTr("Region")
                        Layout.fillWidth: true
                    }
                }
            }

            // The trend beside the busy hours where there is room, under it where not.
            GridLayout {
                columns: page.wide ? 2 : 1
                columnSpacing: 16
                rowSpacing: 16
                Layout.fillWidth: true

                Card {
                    objectName: "trendCard"
                    Layout.preferredWidth: 1

                    ColumnLayout {
                        anchors.fill: parent
                        spacing: 10

                        CardTitle { text: qsTr("Day by day") }
                        Label {
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
                            Layout.preferredHeight: 360
                        }
                    }
                }

                Card {
                    objectName: "heatMapCard"
                    Layout.preferredWidth: 1

                    ColumnLayout {
                        anchors.fill: parent
                        spacing: 10

                        RowLayout {
                            spacing: 12
                            Layout.fillWidth: true

                            CardTitle { text: qsTr("When the calls come") }
                            ComboBox {
                                id: measure

                                objectName: "heatMapMeasure"
                                model: [qsTr("Offered"), qsTr("Answered"), qsTr("Abandoned"), qsTr("Service level")]
                                implicitWidth: 180
                                Accessible.name: qsTr("What the cells count")
                                onActivated: index => page.heatMap.measure = ["offered", "answered", "abandoned", "serviceLevel"][index]
                            }
                            Item { Layout.fillWidth: true }
                            Label {
                                visible: page.heatMap.error.length > 0
                                text: page.heatMap.error
                                color: "#8a1c12"
                                font.pixelSize: 15
                            }
                        }
                        HeatMapGrid {
                            objectName: "heatMap"
                            heatMap: page.heatMap
                            Layout.fillWidth: true
                        }
                    }
                }
            }
        }
    }
}
