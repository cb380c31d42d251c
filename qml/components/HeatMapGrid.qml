import QtQuick
import QtQuick.Controls
import CallCommander.Core

// When the calls come: a weekday (rows) by hour (columns) grid, each cell as dark as it is busy
// (its share of the busiest cell), with the count written in when the cell is large enough.
// Takes the width its layout gives it (an Item, not a layout: the cells follow the width, so the
// width must not follow the cells).
Item {
    id: grid

    required property AnalyticsHeatMap heatMap
    readonly property int labelWidth: 48
    readonly property int headerHeight: 22
    readonly property real cellWidth: Math.max(8, (width - labelWidth - 4) / Math.max(1, heatMap.columns))
    readonly property real cellHeight: Math.max(24, Math.min(44, cellWidth * 0.7))

    implicitWidth: 480
    implicitHeight: headerHeight + 4 + 7 * cellHeight

    // Light teal for a quiet hour to dark teal for the busiest; grey for none.
    function shade(intensity) {
        if (intensity < 0)
            return "#eceff1"
        const t = Math.max(0, Math.min(1, intensity))
        return Qt.rgba(0.88 - 0.88 * t, 0.95 - 0.54 * t, 0.94 - 0.58 * t, 1)
    }

    Row {
        x: grid.labelWidth + 4

        Repeater {
            model: grid.heatMap.hourLabels

            Label {
                required property string modelData

                width: grid.cellWidth
                height: grid.headerHeight
                text: modelData
                font.pixelSize: 13
                color: "#546e7a"
                horizontalAlignment: Text.AlignHCenter
            }
        }
    }

    Column {
        y: grid.headerHeight + 4

        Repeater {
            model: grid.heatMap.weekdayLabels

            Label {
                required property string modelData

                width: grid.labelWidth
                height: grid.cellHeight
                text: modelData
                font.pixelSize: 14
                font.weight: Font.DemiBold
                color: "#37474f"
                verticalAlignment: Text.AlignVCenter
            }
        }
    }

    Grid {
        objectName: "heatMapCells"
        x: grid.labelWidth + 4
        y: grid.headerHeight + 4
        columns: grid.heatMap.columns

        Repeater {
            model: grid.heatMap

            Rectangle {
                id: cell

                required property double intensity
                required property string valueText
                required property string description

                width: grid.cellWidth
                height: grid.cellHeight
                color: grid.shade(intensity)
                border.color: "white"
                border.width: 1
                Accessible.role: Accessible.Cell
                Accessible.name: description

                Label {
                    anchors.centerIn: parent
                    visible: grid.cellWidth >= 34 && cell.intensity >= 0
                    text: cell.valueText
                    font.pixelSize: 12
                    color: cell.intensity > 0.55 ? "white" : "#263238"
                }
            }
        }
    }
}
