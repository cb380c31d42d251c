import QtQuick
import QtCharts
import CallCommander.Core

// A report by day as lines: calls offered and answered (left axis) and the service level in
// percent (right axis). Redrawn whenever the report's rows change.
ChartView {
    id: chart

    required property AnalyticsReport report
    property int fontPixelSize: 14

    objectName: "trendChart"
    antialiasing: true
    legend.alignment: Qt.AlignTop
    legend.font.pixelSize: fontPixelSize
    backgroundRoundness: 12
    margins.top: 0
    margins.bottom: 0
    margins.left: 0
    margins.right: 0
    Accessible.role: Accessible.Chart
    Accessible.name: qsTr("Calls and service level by day")

    // Copies the report's points into the series (Qt Charts' series take points one by one).
    function redraw() {
        const lines = [[offered, "offered"], [answered, "answered"], [serviceLevel, "serviceLevel"]]
        let first = Number.NaN
        let last = Number.NaN
        for (const [series, role] of lines) {
            series.clear()
            for (const p of chart.report.points(role)) {
                series.append(p.x, p.y)
                first = isNaN(first) ? p.x : Math.min(first, p.x)
                last = isNaN(last) ? p.x : Math.max(last, p.x)
            }
        }
        if (isNaN(first))
            return
        // Half a day either side, so one day still draws and the ends are not on the frame.
        days.min = new Date(first - 12 * 3600 * 1000)
        days.max = new Date(last + 12 * 3600 * 1000)
        calls.max = Math.max(4, chart.report.maximum("offered") * 1.1)
        calls.applyNiceNumbers()
    }

    Connections {
        target: chart.report

        function onModelReset() {
            chart.redraw()
        }
    }
    Component.onCompleted: redraw()

    DateTimeAxis {
        id: days

        format: chart.report.count > 60 ? "MMM yy" : "d MMM"
        tickCount: Math.max(2, Math.min(chart.report.count, chart.width > 700 ? 8 : 5))
        labelsFont.pixelSize: chart.fontPixelSize
    }
    ValueAxis {
        id: calls

        min: 0
        max: 4
        tickCount: 5
        labelFormat: "%d"
        labelsFont.pixelSize: chart.fontPixelSize
        titleText: qsTr("Calls")
        titleFont.pixelSize: chart.fontPixelSize
    }
    ValueAxis {
        id: percent

        min: 0
        max: 100
        tickCount: 5
        labelFormat: "%d%%"
        labelsFont.pixelSize: chart.fontPixelSize
    }

    LineSeries {
        id: offered

        objectName: "offeredLine"
        name: qsTr("Offered")
        axisX: days
        axisY: calls
        color: "#90a4ae"
        width: 3
        pointsVisible: chart.report.count <= 31
    }
    LineSeries {
        id: answered

        objectName: "answeredLine"
        name: qsTr("Answered")
        axisX: days
        axisY: calls
        color: "#00897b"
        width: 3
        pointsVisible: chart.report.count <= 31
    }
    LineSeries {
        id: serviceLevel

        objectName: "serviceLevelLine"
        name: qsTr("Service level %")
        axisX: days
        axisYRight: percent
        color: "#1f3a5f"
        width: 3
        style: Qt.DashLine
        pointsVisible: chart.report.count <= 31
    }
}
