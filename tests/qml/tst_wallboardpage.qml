import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtTest
import CallCommander.Core
import CallCommander.Ui
import CallCommander.TestData
import "helpers.js" as Helpers

// The wallboard over Main Street's day so far (tst_qml.cpp hands the page a feed holding the
// server's live updates, and Ana's cache for her store): big tiles, today's calls by hour, a new
// caller moving the figures; in portrait as in landscape; and offline, the last figures with
// their age. Each test saves a screenshot and checks that it shows something.
TestCase {
    id: testCase

    name: "WallboardPage"
    width: 1280
    height: 1280
    visible: true
    when: windowShown

    Component {
        id: landscape

        StackView {
            width: 1280
            height: 800
            Material.primary: "#1f3a5f"
            Material.accent: Material.Teal
            initialItem: WallboardPage {
                feed: DemoData.analytics
                cache: DemoData.staffSync
                role: "staff"
            }
        }
    }

    Component {
        id: portrait

        StackView {
            width: 800
            height: 1280
            Material.primary: "#1f3a5f"
            Material.accent: Material.Teal
            initialItem: WallboardPage {
                feed: DemoData.analytics
                cache: DemoData.staffSync
                role: "staff"
            }
        }
    }

    Component {
        id: offline

        StackView {
            width: 1280
            height: 800
            Material.primary: "#1f3a5f"
            Material.accent: Material.Teal
            initialItem: WallboardPage {
                feed: DemoData.offlineAnalytics
                cache: DemoData.staffSync
                role: "staff"
            }
        }
    }

    // Saves a picture of `item` and checks it is not blank: a grid of samples finds several
    // colours (a blank or failed rendering is one).
    function screenshot(item, name) {
        wait(400) // charts and controls finish their first layout
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

    function tileValue(page, name) {
        const tile = Helpers.findChild(page, name)
        verify(tile, name)
        return tile.value
    }

    // The chart has its two bar sets, with a bar per hour and calls in them.
    function verifyChart(page) {
        const chart = Helpers.findChild(page, "hourlyChart")
        verify(chart)
        compare(chart.count, 1)
        const bars = chart.series(0)
        compare(bars.count, 2)
        const offered = bars.at(0)
        const answered = bars.at(1)
        verify(offered.count >= 12, "a bar per hour of the shop's day")
        compare(offered.count, answered.count)
        let calls = 0
        for (let i = 0; i < offered.count; ++i)
            calls += offered.at(i)
        verify(calls > 0, "the chart shows calls")
    }

    function test_landscapeShowsTheStoresDay() {
        const stack = createTemporaryObject(landscape, testCase)
        verify(stack)
        const page = stack.currentItem
        tryCompare(Helpers.findChild(page, "wallboardTitle"), "text", "Today at NE-01 · Main Street", 10000)
        compare(Helpers.findChild(page, "storePicker").visible, false) // Ana has one store
        tryCompare(Helpers.findChild(page, "freshness"), "text", "Live")
        compare(tileValue(page, "waitingTile"), "2")
        // The longest caller has waited 48 s since the figures were taken, and on since.
        const longest = /^(\d+):(\d\d)$/.exec(tileValue(page, "longestWaitTile"))
        verify(longest && Number(longest[1]) * 60 + Number(longest[2]) >= 48, tileValue(page, "longestWaitTile"))
        verify(/^\d+%$/.test(tileValue(page, "serviceLevelTile")), tileValue(page, "serviceLevelTile"))
        verify(/^\d+ \/ \d+$/.test(tileValue(page, "answeredTile")), tileValue(page, "answeredTile"))
        verify(/^\d+$/.test(tileValue(page, "abandonedTile")))
        verify(/^\d+ s$/.test(tileValue(page, "asaTile")), tileValue(page, "asaTile"))
        compare(Helpers.findChild(page, "wallboardError").visible, false)
        verifyChart(page)
        // The longest wait ticks on by itself while live.
        const before = tileValue(page, "longestWaitTile")
        tryVerify(() => tileValue(page, "longestWaitTile") !== before, 3000)
        screenshot(stack, "wallboard")

        // Another caller starts waiting: the board follows.
        DemoData.callArrives()
        compare(tileValue(page, "waitingTile"), "3")
    }

    function test_portraitKeepsEveryTileReadable() {
        const stack = createTemporaryObject(portrait, testCase)
        verify(stack)
        const page = stack.currentItem
        tryCompare(Helpers.findChild(page, "freshness"), "text", "Live", 10000)
        const tiles = Helpers.findChild(page, "wallboardTiles")
        compare(tiles.columns, 2)
        // Tiles side by side never overlap, and each is big enough to read from afar.
        for (const name of ["waitingTile", "longestWaitTile", "serviceLevelTile", "answeredTile",
                            "abandonedTile", "asaTile"]) {
            const tile = Helpers.findChild(page, name)
            verify(tile.width >= 300 && tile.height >= 150, name + " is too small: " + tile.width + "x" + tile.height)
            const value = Helpers.findChild(tile, "tileValue")
            verify(value.contentWidth <= value.width + 1, name + ": the figure is clipped")
        }
        const waiting = Helpers.findChild(page, "waitingTile")
        const longest = Helpers.findChild(page, "longestWaitTile")
        verify(waiting.x + waiting.width <= longest.x, "tiles overlap")
        verifyChart(page)
        screenshot(stack, "wallboard-portrait")
    }

    function test_offlineShowsTheLastFiguresWithTheirAge() {
        const stack = createTemporaryObject(offline, testCase)
        verify(stack)
        const page = stack.currentItem
        const chip = Helpers.findChild(page, "freshness")
        tryVerify(() => chip.text.startsWith("As of "), 10000)
        // Taken three minutes before the tests started.
        verify(/ · \d+ min ago$/.test(chip.text), chip.text)
        // The figures stay readable, the wait frozen at what it was.
        compare(tileValue(page, "waitingTile"), "2")
        compare(tileValue(page, "longestWaitTile"), "0:48")
        verify(/^\d+%$/.test(tileValue(page, "serviceLevelTile")))
        verifyChart(page)
        screenshot(stack, "wallboard-offline")
    }
}
