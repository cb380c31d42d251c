import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// A small coloured label for a state ("Working", "Failing", "Requested"): the colour says how
// things stand at a glance, the word says it for everyone.
Rectangle {
    id: chip

    property string text
    property color tone: "#546e7a"
    // Filled (white text on the tone) or outlined (the tone on white).
    property bool filled: true

    implicitWidth: label.implicitWidth + 24
    implicitHeight: 30
    radius: height / 2
    color: filled ? tone : "transparent"
    border.color: tone
    border.width: filled ? 0 : 1.5
    Accessible.role: Accessible.StaticText
    Accessible.name: text

    Label {
        id: label

        anchors.centerIn: parent
        text: chip.text
        color: chip.filled ? "white" : chip.tone
        font.pixelSize: 14
        font.weight: Font.DemiBold
    }
}
