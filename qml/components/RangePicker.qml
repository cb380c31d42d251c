import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import CallCommander.Core

// Which days a dashboard shows: a preset, or any first and last day (YYYY-MM-DD).
RowLayout {
    id: picker

    required property AnalyticsRange range
    readonly property bool custom: range.preset < 0

    spacing: 8

    ComboBox {
        id: presets

        objectName: "rangePresets"
        model: picker.range.presets.concat([qsTr("Choose days…")])
        currentIndex: picker.custom ? picker.range.presets.length : picker.range.preset
        implicitWidth: 180
        Accessible.name: qsTr("Days shown")
        onActivated: index => picker.range.preset = index < picker.range.presets.length ? index : -1
    }
    TextField {
        objectName: "rangeFrom"
        visible: picker.custom
        text: picker.range.from
        inputMask: "9999-99-99"
        implicitWidth: 130
        Accessible.name: qsTr("First day, year-month-day")
        onEditingFinished: picker.range.from = text
    }
    Label {
        visible: picker.custom
        text: "–"
    }
    TextField {
        objectName: "rangeTo"
        visible: picker.custom
        text: picker.range.to
        inputMask: "9999-99-99"
        implicitWidth: 130
        Accessible.name: qsTr("Last day, year-month-day")
        onEditingFinished: picker.range.to = text
    }
    Label {
        objectName: "rangeLabel"
        text: picker.range.problem.length > 0 ? picker.range.problem : picker.range.label
        color: picker.range.problem.length > 0 ? "#8a1c12" : "#455a64"
        font.pixelSize: 14
        elide: Text.ElideRight
        Layout.fillWidth: true
    }
}
