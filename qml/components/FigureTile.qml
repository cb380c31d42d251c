import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import CallCommander.Core

// One figure, big enough to read across a shop floor: what it is, the figure itself (sized to
// fit whatever space the layout gives the tile, portrait or landscape) and a line of detail. The
// tone (LiveAnalytics.Good, Fair, Poor or Neutral) colours it; stale figures are dimmed.
Rectangle {
    id: tile

    property string title
    property string value
    property string detail
    property int tone: LiveAnalytics.Neutral
    property bool stale: false
    // The largest the figure may be; it shrinks to fit the tile.
    property int valuePixelSize: 96

    readonly property color ink: tone === LiveAnalytics.Good ? "#1b5e20"
                                 : tone === LiveAnalytics.Fair ? "#8a4b00"
                                 : tone === LiveAnalytics.Poor ? "#b71c1c" : "#1f3a5f"
    readonly property color wash: tone === LiveAnalytics.Good ? "#e8f5e9"
                                  : tone === LiveAnalytics.Fair ? "#fff3e0"
                                  : tone === LiveAnalytics.Poor ? "#ffebee" : "#eef2f6"

    radius: 12
    color: wash
    border.color: Qt.darker(wash, 1.08)
    opacity: stale ? 0.8 : 1
    implicitWidth: 240
    implicitHeight: 160
    Accessible.role: Accessible.StaticText
    Accessible.name: title + ": " + value + (detail.length > 0 ? ", " + detail : "")

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: Math.max(10, Math.min(tile.width, tile.height) * 0.07)
        spacing: 2

        Label {
            objectName: "tileTitle"
            text: tile.title
            color: "#37474f"
            font.pixelSize: Math.max(15, Math.min(26, tile.height * 0.12))
            font.weight: Font.DemiBold
            // A long title shrinks a little before it is cut short.
            fontSizeMode: Text.HorizontalFit
            minimumPixelSize: 14
            elide: Text.ElideRight
            Layout.fillWidth: true
            Layout.preferredWidth: 1
        }
        Label {
            objectName: "tileValue"
            text: tile.value
            color: tile.ink
            font.pixelSize: tile.valuePixelSize
            font.weight: Font.Bold
            fontSizeMode: Text.Fit
            minimumPixelSize: 18
            verticalAlignment: Text.AlignVCenter
            // Sized by the tile, never by the text: the text then fits itself to that size.
            Layout.fillWidth: true
            Layout.fillHeight: true
            Layout.preferredWidth: 1
            Layout.preferredHeight: 1
        }
        Label {
            visible: tile.detail.length > 0
            text: tile.detail
            color: "#455a64"
            font.pixelSize: Math.max(13, Math.min(20, tile.height * 0.1))
            elide: Text.ElideRight
            Layout.fillWidth: true
        }
    }
}
