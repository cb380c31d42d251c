import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts
import CallCommander.Core
import CallCommander.Ui

// "Do we have it?": the item, colour and size a customer asks for, checked at one of the
// person's stores in the organisation's stock system. Shows that it is asking (the provider may
// take a few seconds) with a way to stop, then the answer line by line, or what went wrong in
// words. Opened from the caller card (the caller's store chosen) and the appointments page.
Dialog {
    id: dialog

    // Where the person's stores come from (the app's Sync; a test gives its own cache).
    property QtObject cache: Sync
    // The store to check first.
    property string storeId: ""
    // The check itself (the server's; a test or demo gives one with an answer).
    property StockCheck check: StockCheck {
        session: Session
    }

    readonly property bool checking: check.state === StockCheck.Checking
    readonly property string askedOf: check.providerName.length > 0 ? check.providerName
                                                                    : qsTr("the stock system")

    function ask() {
        check.storeId = storeBox.currentValue !== undefined ? storeBox.currentValue : dialog.storeId
        check.item = itemField.text
        check.colours = colourField.text.split(",")
        check.size = sizeField.text
        check.check()
    }

    title: qsTr("Check stock")
    modal: true
    // Centred on the window; its colours follow the page it is declared in.
    anchors.centerIn: Overlay.overlay
    width: Math.min(Overlay.overlay ? Overlay.overlay.width - 32 : 560, 600)
    height: Math.min(Overlay.overlay ? Overlay.overlay.height - 32 : 720, implicitHeight)
    padding: 20
    onClosed: check.cancel()
    onAboutToShow: storeBox.currentIndex = Math.max(0, stores.indexOf(dialog.storeId))

    StoresModel {
        id: stores

        sync: dialog.cache
        onRowsInserted: storeBox.currentIndex = Math.max(0, stores.indexOf(dialog.storeId))
    }

    footer: DialogButtonBox {
        Button {
            text: qsTr("Close")
            flat: true
            implicitHeight: 48
            DialogButtonBox.buttonRole: DialogButtonBox.RejectRole
        }
    }

    contentItem: Flickable {
        id: scroller

        implicitHeight: form.implicitHeight
        contentHeight: form.implicitHeight
        contentWidth: width
        clip: true
        boundsBehavior: Flickable.StopAtBounds
        ScrollBar.vertical: ScrollBar {}

        ColumnLayout {
            id: form

            width: scroller.width
            spacing: 10

            Label {
                text: qsTr("Store")
                font.pixelSize: 15
                visible: stores.count > 1
            }
            ChoiceBox {
                id: storeBox

                objectName: "stockStore"
                visible: stores.count > 1
                model: stores
                textRole: "label"
                valueRole: "storeId"
                Layout.fillWidth: true
                Accessible.name: qsTr("Store")
            }
            Label {
                visible: stores.count === 1
                text: qsTr("At %1").arg(stores.nameOf(storeBox.currentValue !== undefined ? storeBox.currentValue : dialog.storeId))
                font.pixelSize: 16
                font.weight: Font.DemiBold
                color: "#1f3a5f"
            }

            TextField {
                id: itemField

                objectName: "stockItem"
                placeholderText: qsTr("What are they looking for? (rain jacket)")
                font.pixelSize: 18
                implicitHeight: 56
                maximumLength: 100
                Layout.fillWidth: true
                Accessible.name: qsTr("Item")
                onAccepted: dialog.ask()
            }
            RowLayout {
                spacing: 12
                Layout.fillWidth: true

                TextField {
                    id: colourField

                    objectName: "stockColour"
                    placeholderText: qsTr("Colour (blue, or blue, navy)")
                    font.pixelSize: 16
                    implicitHeight: 52
                    Layout.fillWidth: true
                    Accessible.name: qsTr("Colours, separated by commas")
                    onAccepted: dialog.ask()
                }
                TextField {
                    id: sizeField

                    objectName: "stockSize"
                    placeholderText: qsTr("Size")
                    font.pixelSize: 16
                    implicitHeight: 52
                    maximumLength: 20
                    Layout.preferredWidth: 110
                    Accessible.name: qsTr("Size")
                    onAccepted: dialog.ask()
                }
            }
            Flow {
                spacing: 6
                Layout.fillWidth: true

                Repeater {
                    model: ["XS", "S", "M", "L", "XL", "XXL"]

                    delegate: Button {
                        required property string modelData

                        text: modelData
                        flat: sizeField.text.toUpperCase() !== modelData
                        highlighted: !flat
                        implicitHeight: 44
                        implicitWidth: 56
                        font.pixelSize: 15
                        Accessible.name: qsTr("Size %1").arg(modelData)
                        onClicked: sizeField.text = sizeField.text.toUpperCase() === modelData ? "" : modelData
                    }
                }
            }

            RowLayout {
                spacing: 12
                Layout.fillWidth: true
                Layout.topMargin: 4

                Button {
                    objectName: "stockCheckButton"
                    text: qsTr("Check stock")
                    highlighted: true
                    enabled: !dialog.checking && itemField.text.trim().length > 0
                    implicitHeight: 56
                    font.pixelSize: 17
                    Layout.fillWidth: true
                    onClicked: dialog.ask()
                }
                Button {
                    objectName: "stockCancelButton"
                    visible: dialog.checking
                    text: qsTr("Stop")
                    implicitHeight: 56
                    font.pixelSize: 17
                    Accessible.name: qsTr("Stop waiting for the answer")
                    onClicked: dialog.check.cancel()
                }
            }

            // Asking.
            RowLayout {
                objectName: "stockProgress"
                visible: dialog.checking
                spacing: 12
                Layout.fillWidth: true

                BusyIndicator {
                    running: dialog.checking
                    implicitWidth: 44
                    implicitHeight: 44
                }
                Label {
                    text: dialog.check.slow ? qsTr("Still asking %1: it is slow to answer right now…").arg(dialog.askedOf)
                                            : qsTr("Asking %1…").arg(dialog.askedOf)
                    font.pixelSize: 16
                    wrapMode: Text.WordWrap
                    Layout.fillWidth: true
                    Accessible.role: Accessible.StaticText
                    Accessible.name: text
                }
            }

            // What went wrong.
            Rectangle {
                objectName: "stockError"
                visible: dialog.check.state === StockCheck.Failed
                color: "#fdecea"
                radius: 6
                implicitHeight: errorLabel.implicitHeight + 24
                Layout.fillWidth: true

                Label {
                    id: errorLabel

                    anchors.fill: parent
                    anchors.margins: 12
                    text: dialog.check.error
                    color: "#8a1c12"
                    font.pixelSize: 16
                    wrapMode: Text.WordWrap
                    Accessible.role: Accessible.AlertMessage
                    Accessible.name: text
                }
            }

            // The answer.
            ColumnLayout {
                objectName: "stockResult"
                visible: dialog.check.state === StockCheck.Done
                spacing: 6
                Layout.fillWidth: true
                Layout.topMargin: 4

                Label {
                    text: dialog.check.question + (dialog.check.providerName.length > 0 ? " — " + qsTr("from %1").arg(dialog.check.providerName) : "")
                    font.pixelSize: 13
                    color: "#78909c"
                    elide: Text.ElideRight
                    Layout.fillWidth: true
                }
                Label {
                    objectName: "stockSummary"
                    text: dialog.check.summary
                    font.pixelSize: 19
                    font.weight: Font.DemiBold
                    color: dialog.check.inStockHere > 0 ? "#1b5e20" : "#8a4b00"
                    wrapMode: Text.WordWrap
                    Layout.fillWidth: true
                    Accessible.role: Accessible.StaticText
                    Accessible.name: text
                }
                Repeater {
                    objectName: "stockLines"
                    model: dialog.check.lines

                    delegate: Rectangle {
                        required property var modelData
                        required property int index

                        color: index % 2 === 0 ? "#f5f7f8" : "white"
                        radius: 4
                        implicitHeight: Math.max(48, lineRow.implicitHeight + 12)
                        Layout.fillWidth: true
                        Accessible.role: Accessible.ListItem
                        Accessible.name: modelData.product + " " + modelData.variant + ": " + modelData.availability

                        RowLayout {
                            id: lineRow

                            anchors.fill: parent
                            anchors.leftMargin: 10
                            anchors.rightMargin: 10
                            spacing: 12

                            ColumnLayout {
                                spacing: 0
                                Layout.fillWidth: true

                                Label {
                                    text: modelData.product + (modelData.variant.length > 0 ? " — " + modelData.variant : "")
                                    font.pixelSize: 16
                                    elide: Text.ElideRight
                                    Layout.fillWidth: true
                                }
                                Label {
                                    visible: modelData.sku.length > 0
                                    text: modelData.sku
                                    font.pixelSize: 12
                                    color: "#90a4ae"
                                }
                            }
                            Label {
                                text: modelData.availability
                                font.pixelSize: 16
                                font.weight: modelData.inStock ? Font.Bold : Font.Normal
                                color: modelData.inStock ? "#1b5e20" : "#78909c"
                            }
                        }
                    }
                }
                Label {
                    visible: dialog.check.truncated
                    text: qsTr("More matches than shown: add a colour or a size to narrow it down.")
                    font.pixelSize: 14
                    color: "#607d8b"
                    wrapMode: Text.WordWrap
                    Layout.fillWidth: true
                }
            }
        }
    }
}
