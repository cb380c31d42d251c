import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts
import CallCommander.Core

// A report as a ranked table (stores, regions, people): a header whose columns sort the rows
// (again to turn the order round), one row per store with its key figures. Narrow windows drop
// the handling columns.
ColumnLayout {
    id: table

    required property AnalyticsReport report
    property string nameTitle: qsTr("Store")
    readonly property bool wide: width >= 980

    spacing: 0

    component SortHeader: ItemDelegate {
        id: header

        required property string role
        property alias title: header.text
        readonly property bool sorted: table.report.sortRole === role

        implicitHeight: 44
        font.pixelSize: 13
        font.weight: sorted ? Font.Bold : Font.DemiBold
        text: title
        leftPadding: 0
        rightPadding: 0
        // The arrow says which way the column sorts.
        contentItem: Label {
            text: header.text + (header.sorted ? (table.report.descending ? " ▼" : " ▲") : "")
            font: header.font
            color: "#1f3a5f"
            fontSizeMode: Text.HorizontalFit
            minimumPixelSize: 10
            elide: Text.ElideRight
            horizontalAlignment: header.role === "label" ? Text.AlignLeft : Text.AlignRight
            verticalAlignment: Text.AlignVCenter
        }
        Accessible.name: qsTr("Sort by %1").arg(title)
        onClicked: table.report.sortBy(role)
    }

    component Cell: Label {
        font.pixelSize: 16
        horizontalAlignment: Text.AlignRight
        elide: Text.ElideRight
        Layout.preferredWidth: 100
    }

    Rectangle {
        color: "#eef2f6"
        radius: 6
        Layout.fillWidth: true
        implicitHeight: headerRow.implicitHeight

        RowLayout {
            id: headerRow

            anchors.left: parent.left
            anchors.right: parent.right
            anchors.leftMargin: 8
            anchors.rightMargin: 8
            spacing: 8

            Label {
                text: "#"
                color: "#1f3a5f"
                font.pixelSize: 14
                font.weight: Font.DemiBold
                horizontalAlignment: Text.AlignRight
                Layout.preferredWidth: 36
            }
            SortHeader { role: "label"; title: table.nameTitle; Layout.fillWidth: true }
            SortHeader { role: "offered"; title: qsTr("Offered"); Layout.preferredWidth: 100 }
            SortHeader { role: "answered"; title: qsTr("Answered"); Layout.preferredWidth: 100 }
            SortHeader { role: "serviceLevel"; title: qsTr("Service level"); Layout.preferredWidth: 100 }
            SortHeader { role: "abandonRate"; title: qsTr("Abandoned"); Layout.preferredWidth: 100 }
            SortHeader { role: "asa"; title: qsTr("ASA"); visible: table.wide; Layout.preferredWidth: 100 }
            SortHeader { role: "aht"; title: qsTr("AHT"); visible: table.wide; Layout.preferredWidth: 100 }
            SortHeader { role: "fcr"; title: qsTr("FCR"); visible: table.wide; Layout.preferredWidth: 100 }
        }
    }

    ListView {
        id: rows

        objectName: "rankingRows"
        model: table.report
        interactive: false
        clip: true
        implicitHeight: contentHeight
        Layout.fillWidth: true
        Layout.preferredHeight: contentHeight

        delegate: ItemDelegate {
            id: row

            required property int index
            required property int rank
            required property string label
            required property int offered
            required property int answered
            required property string serviceLevelText
            required property int serviceLevelTone
            required property string abandonRateText
            required property string asaText
            required property string ahtText
            required property string fcrText

            width: ListView.view.width
            implicitHeight: 48
            padding: 0
            Accessible.role: Accessible.Row
            Accessible.name: qsTr("%1. %2: %3 offered, %4 answered, service level %5, %6 abandoned")
                             .arg(rank).arg(label).arg(offered).arg(answered).arg(serviceLevelText).arg(abandonRateText)
            background: Rectangle {
                color: row.index % 2 === 0 ? "white" : "#f7f9fb"
            }

            contentItem: RowLayout {
                spacing: 8

                Item { Layout.preferredWidth: 0 }
                Label {
                    text: row.rank
                    font.pixelSize: 16
                    color: "#78909c"
                    horizontalAlignment: Text.AlignRight
                    Layout.preferredWidth: 36
                }
                Label {
                    text: row.label
                    font.pixelSize: 16
                    font.weight: Font.DemiBold
                    elide: Text.ElideRight
                    Layout.fillWidth: true
                    Layout.minimumWidth: 120
                }
                Cell { text: row.offered }
                Cell { text: row.answered }
                Cell {
                    text: row.serviceLevelText
                    font.weight: Font.Bold
                    color: row.serviceLevelTone === LiveAnalytics.Good ? "#1b5e20"
                           : row.serviceLevelTone === LiveAnalytics.Fair ? "#8a4b00"
                           : row.serviceLevelTone === LiveAnalytics.Poor ? "#b71c1c" : "#546e7a"
                }
                Cell { text: row.abandonRateText }
                Cell { text: row.asaText; visible: table.wide }
                Cell { text: row.ahtText; visible: table.wide }
                Cell { text: row.fcrText; visible: table.wide }
                Item { Layout.preferredWidth: 0 }
            }
        }

        Label {
            anchors.centerIn: parent
            visible: rows.count === 0 && !table.report.loading
            text: table.report.error.length > 0 ? table.report.error : qsTr("No calls in these days")
            color: table.report.error.length > 0 ? "#8a1c12" : "#546e7a"
            font.pixelSize: 16
        }
    }

    Item {
        visible: rows.count === 0
        Layout.preferredHeight: 56
    }
}
