import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material

// A ComboBox sized for a counter tablet. Its arrow is a character, not the style's recoloured
// icon: Qt 6.4's ColorImage never frees its image (LeakSanitizer reports it in every test).
ComboBox {
    id: box

    implicitHeight: 52
    font.pixelSize: 16

    indicator: Label {
        x: box.width - width - box.rightPadding / 2
        y: (box.height - height) / 2
        text: "▾"
        font.pixelSize: 20
        color: box.enabled ? box.Material.foreground : box.Material.hintTextColor
    }
}
