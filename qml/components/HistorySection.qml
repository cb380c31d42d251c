import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// One part of a caller's history on the caller card (recent calls, tasks, appointments, notes):
// a title and two lines per entry, or a word when there is nothing.
ColumnLayout {
    id: section

    property string title
    property string empty
    // The entries (maps from ScreenPop) and how each reads: a main line and a detail line.
    property var items: []
    property var lineOf: entry => ""
    property var detailOf: entry => ""

    spacing: 4
    // Equal columns on the caller card, whatever each one holds.
    Layout.preferredWidth: 100
    Layout.fillWidth: true
    Layout.alignment: Qt.AlignTop
    Accessible.role: Accessible.List
    Accessible.name: title

    Label {
        text: section.items.length > 0 ? qsTr("%1 (%2)").arg(section.title).arg(section.items.length) : section.title
        font.pixelSize: 15
        font.weight: Font.Bold
        font.capitalization: Font.AllUppercase
        color: "#546e7a"
        // Lets the section stretch to its share of the row even with nothing in it.
        Layout.fillWidth: true
    }
    Label {
        visible: section.items.length === 0
        text: section.empty
        font.pixelSize: 15
        color: "#90a4ae"
    }
    Repeater {
        model: section.items

        delegate: ColumnLayout {
            id: entry

            required property var modelData

            spacing: 0
            Layout.fillWidth: true
            Layout.bottomMargin: 4
            Accessible.role: Accessible.ListItem
            Accessible.name: section.lineOf(entry.modelData) + ", " + section.detailOf(entry.modelData)

            Label {
                text: section.lineOf(entry.modelData)
                font.pixelSize: 16
                wrapMode: Text.WordWrap
                maximumLineCount: 3
                elide: Text.ElideRight
                Layout.fillWidth: true
            }
            Label {
                text: section.detailOf(entry.modelData)
                font.pixelSize: 13
                color: "#607d8b"
                elide: Text.ElideRight
                Layout.fillWidth: true
            }
        }
    }
    // Takes the height a taller neighbour in the same row leaves, so entries stay together.
    Item {
        Layout.fillHeight: true
    }
}
