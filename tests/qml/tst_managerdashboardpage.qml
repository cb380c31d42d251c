import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtTest
import CallCommander.Core
import CallCommander.Ui
import CallCommander.TestData
import "helpers.js" as Helpers

// Maya's dashboard (manager of Main Street and Harbour Point): today's figures live, who answered
// (names from her cache's staff directory), the last 14 days as lines; another store chosen, the
// live figures follow it.
TestCase {
    id: testCase

    name: "ManagerDashboardPage"
    width: 1280
    height: 900
    visible: true
    when: windowShown

    Component {
        id: dashboard

        StackView {
            anchors.fill: parent
            Material.primary: "#1f3a5f"
            Material.accent: Material.Teal
            initialItem: ManagerDashboardPage {
                feed: DemoData.analytics
                cache: DemoData.managerSync
                role: "manager"
                trend: DemoData.managerTrend
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

    function test_storeFiguresStaffAndTrend() {
        const stack = createTemporaryObject(dashboard, testCase)
        verify(stack)
        const page = stack.currentItem
        const picker = Helpers.findChild(page, "storePicker")
        tryCompare(picker, "count", 2, 10000)
        compare(picker.currentText, "NE-01 · Main Street")
        tryCompare(Helpers.findChild(page, "freshness"), "text", "Live")
        verify(/^\d+%$/.test(Helpers.findChild(page, "serviceLevelTile").value))

        // Who answered, most first, by their names in the staff directory.
        const staff = Helpers.findChild(page, "staffRows")
        tryCompare(staff, "count", 6)
        tryVerify(() => staff.itemAtIndex(0) && staff.itemAtIndex(0).name === "Ana Lopez", 5000)
        const names = []
        for (let i = 0; i < staff.count; ++i)
            names.push(staff.itemAtIndex(i).name)
        verify(names.includes("Maya Patel") && names.includes("Tom Reyes"), names.join(", "))
        verify(!names.includes("Someone else"), names.join(", "))

        // The trend: a point a day for 14 days, on every line.
        const chart = Helpers.findChild(page, "trendChart")
        verify(chart)
        compare(chart.count, 3)
        for (let i = 0; i < chart.count; ++i)
            verify(chart.series(i).count >= 13, chart.series(i).name + " has no points")
        compare(chart.series(0).count, 14)
        compare(Helpers.findChild(page, "trendError").visible, false)
        screenshot(stack, "manager-dashboard")

        // Harbour Point: its own live figures; nobody of Main Street in its table.
        picker.currentIndex = 1
        tryCompare(staff, "count", 0)
        tryCompare(Helpers.findChild(page, "freshness"), "text", "Live")
        compare(page.trend.locations.length, 1)
    }
}
