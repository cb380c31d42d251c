import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtTest
import CallCommander.Core
import CallCommander.Ui
import CallCommander.TestData
import "helpers.js" as Helpers

// The executive dashboard over the organisation's demo figures: today so far (live), twelve
// stores and three regions ranked by any column, the last 30 days as lines, the busy hours as a
// grid; Export CSV says where it saves, or why it cannot.
TestCase {
    id: testCase

    name: "ExecutiveDashboardPage"
    width: 1400
    height: 1500
    visible: true
    when: windowShown

    Component {
        id: dashboard

        StackView {
            anchors.fill: parent
            Material.primary: "#1f3a5f"
            Material.accent: Material.Teal
            initialItem: ExecutiveDashboardPage {
                feed: DemoData.analytics
                cache: DemoData.managerSync
                stores: DemoData.storeRanking
                regions: DemoData.regionRanking
                trend: DemoData.executiveTrend
                heatMap: DemoData.heatMap
            }
        }
    }

    function screenshot(item, name) {
        wait(400)
        waitForRendering(item)
        const image = grabImage(item)
        image.save(DemoData.screenshotFolder + "/" + name + ".png")
        const colours = {}
        for (let x = 5; x < image.width; x += Math.floor(image.width / 24)) {
            for (let y = 5; y < image.height; y += Math.floor(image.height / 24))
                colours[image.pixel(x, y).toString()] = true
        }
        verify(Object.keys(colours).length >= 4, name + ": the screenshot looks blank")
    }

    function labels(list) {
        const out = []
        for (let i = 0; i < list.count; ++i)
            out.push(list.itemAtIndex(i).label)
        return out
    }

    function test_rankedTrendsAndBusyHours() {
        const stack = createTemporaryObject(dashboard, testCase)
        verify(stack)
        const page = stack.currentItem

        // Today, the organisation's totals.
        tryVerify(() => Helpers.findChild(page, "todayCard") !== null, 5000)
        const todaySl = Helpers.findChild(page, "todayServiceLevel")
        tryVerify(() => /^\d+%$/.test(todaySl.value), 5000)

        // Stores ranked by service level, best first; a column header sorts by it.
        const stores = Helpers.findChild(Helpers.findChild(page, "storeRanking"), "rankingRows")
        tryCompare(stores, "count", 12)
        compare(labels(stores)[0], "Pine Ridge (WC-01)")
        compare(labels(stores)[11], "Canyon Plaza (WC-03)")
        compare(stores.itemAtIndex(0).rank, 1)
        compare(stores.itemAtIndex(0).serviceLevelTone, LiveAnalytics.Good)
        compare(stores.itemAtIndex(11).serviceLevelTone, LiveAnalytics.Poor)

        // The store filter applies to the reports.
        compare(page.stores.locations.length, 0)
        const filter = Helpers.findChild(page, "storeFilter")
        compare(filter.displayText, "All stores")

        // The trend: thirty days on each line.
        const chart = Helpers.findChild(page, "trendChart")
        verify(chart)
        compare(chart.count, 3)
        compare(chart.series(0).count, 30)
        verify(chart.series(2).count > 0)

        // The heat map: a cell per weekday and hour of the shop's day, busiest darkest.
        const cells = Helpers.findChild(page, "heatMapCells")
        verify(cells)
        compare(page.heatMap.columns, 13) // 08 to 20
        tryVerify(() => cells.children.length === 7 * 13 + 1) // the cells and their Repeater
        verify(page.heatMap.maximum > 0)

        screenshot(stack, "executive-dashboard")

        // Sorting by another column, then back: the table follows.
        page.stores.sortBy("offered")
        compare(labels(stores)[0], "Union Station (MW-02)")
        page.stores.sortBy("serviceLevel")
        compare(page.stores.descending, true)
        compare(labels(stores)[0], "Pine Ridge (WC-01)")

        // Regions.
        const tabs = Helpers.findChild(page, "rankingTabs")
        tabs.currentIndex = 1
        const regions = Helpers.findChild(Helpers.findChild(page, "regionRanking"), "rankingRows")
        tryCompare(regions, "count", 3)
        verify(Helpers.findChild(page, "regionRanking").visible)
        tabs.currentIndex = 0

        // Export without a sign-in says so rather than failing silently.
        const exportButton = Helpers.findChild(page, "exportButton")
        verify(exportButton.Accessible.name.indexOf(".csv") > 0)
        mouseClick(exportButton)
        const message = Helpers.findChild(page, "exportMessage")
        tryCompare(message, "visible", true)
        compare(message.text, "Sign in first.")

        // One store chosen: every report asks for it alone.
        filter.currentIndex = 0
        compare(page.stores.locations.length, 1)
        compare(page.heatMap.locations.length, 1)
        compare(page.trend.locations[0], filter.currentValue)
        mouseClick(Helpers.findChild(page, "allStoresButton"))
        compare(page.stores.locations.length, 0)
    }
}
