import QtQuick
import QtCharts
import CallCommander.Core

// Today's calls by the store's hour: offered beside answered, so a gap shows which hours lost
// callers.
ChartView {
    id: chart

    required property LiveAnalytics live
    property int fontPixelSize: 16

    objectName: "hourlyChart"
    antialiasing: true
    legend.alignment: Qt.AlignTop
    legend.font.pixelSize: fontPixelSize
    backgroundRoundness: 12
    margins.top: 4
    margins.bottom: 4
    Accessible.role: Accessible.Chart
    Accessible.name: qsTr("Calls by hour today: offered and answered")

    BarSeries {
        id: bars

        objectName: "hourlyBars"
        barWidth: 0.8
        axisX: BarCategoryAxis {
            categories: chart.live.hourLabels
            labelsFont.pixelSize: chart.fontPixelSize
            gridVisible: false
        }
        axisY: ValueAxis {
            min: 0
            // Whole calls, with a little room above the busiest hour.
            max: Math.max(4, Math.ceil(chart.live.hourlyMaximum * 1.15 / 4) * 4)
            tickCount: 5
            labelFormat: "%d"
            labelsFont.pixelSize: chart.fontPixelSize
        }

        BarSet {
            label: qsTr("Offered")
            values: chart.live.hourlyOffered
            color: "#90a4ae"
            borderColor: "#90a4ae"
        }
        BarSet {
            label: qsTr("Answered")
            values: chart.live.hourlyAnswered
            color: "#00897b"
            borderColor: "#00897b"
        }
    }
}
