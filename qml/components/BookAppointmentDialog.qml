import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts
import CallCommander.Core
import CallCommander.Ui

// Books an appointment: the store, the customer (the caller on the card, or nobody), the day and
// time on the store's own clock, how long, and what for. The rules (not in the past, a time that
// exists, 15 minutes to 4 hours) are AppointmentBooking's; it is saved on this device at once
// and synced when it can, so booking works offline too.
Dialog {
    id: dialog

    property QtObject cache: Sync
    property string storeId: ""
    property string customerId: ""
    property string customerName: ""

    // Emitted once the appointment is in this device's data ("Tomorrow, 11:00–11:30 at …").
    signal bookedAt(string whenText)

    title: qsTr("Book an appointment")
    modal: true
    // Centred on the window; its colours follow the page it is declared in.
    anchors.centerIn: Overlay.overlay
    width: Math.min(Overlay.overlay ? Overlay.overlay.width - 32 : 560, 600)
    height: Math.min(Overlay.overlay ? Overlay.overlay.height - 32 : 760, implicitHeight)
    padding: 20

    onAboutToShow: {
        booking.customerId = dialog.customerId
        booking.customerName = dialog.customerName
        booking.purpose = ""
        purposeField.text = ""
        if (dialog.storeId.length > 0)
            booking.storeId = dialog.storeId
        booking.suggest()
    }

    AppointmentBooking {
        id: booking

        sync: dialog.cache
        onBooked: (appointmentId, whenText) => {
            dialog.bookedAt(whenText)
            dialog.close()
        }
    }

    footer: DialogButtonBox {
        Button {
            text: qsTr("Cancel")
            flat: true
            implicitHeight: 48
            DialogButtonBox.buttonRole: DialogButtonBox.RejectRole
        }
        Button {
            objectName: "bookButton"
            text: qsTr("Book")
            highlighted: true
            enabled: !booking.saving
            implicitHeight: 48
            implicitWidth: 140
            font.pixelSize: 16
            Accessible.name: qsTr("Book the appointment")
            onClicked: booking.book()
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

        GridLayout {
            id: form

            width: scroller.width
            columns: 2
            columnSpacing: 16
            rowSpacing: 10

            Label { text: qsTr("Store"); font.pixelSize: 15 }
            Item {
                implicitHeight: storeBox.visible ? storeBox.implicitHeight : 44
                Layout.fillWidth: true

                ChoiceBox {
                    id: storeBox

                    objectName: "bookingStore"
                    visible: count > 1
                    width: parent.width
                    model: booking.stores
                    textRole: "label"
                    valueRole: "storeId"
                    currentIndex: count > 0 ? indexOfValue(booking.storeId) : -1
                    Accessible.name: qsTr("Store")
                    onActivated: booking.storeId = currentValue
                }
                Label {
                    objectName: "bookingStoreName"
                    visible: !storeBox.visible
                    anchors.verticalCenter: parent.verticalCenter
                    text: booking.storeName
                    font.pixelSize: 16
                    font.weight: Font.DemiBold
                    color: "#1f3a5f"
                }
            }

            Label { text: qsTr("Customer"); font.pixelSize: 15 }
            RowLayout {
                spacing: 8
                Layout.fillWidth: true

                Label {
                    objectName: "bookingCustomer"
                    text: booking.customerName.length > 0 ? booking.customerName
                                                          : qsTr("Nobody on record (note the name below)")
                    font.pixelSize: 16
                    font.weight: booking.customerName.length > 0 ? Font.DemiBold : Font.Normal
                    color: booking.customerName.length > 0 ? "#1f3a5f" : "#78909c"
                    elide: Text.ElideRight
                    Layout.fillWidth: true
                }
                Button {
                    visible: booking.customerId.length > 0
                    text: qsTr("Not for them")
                    flat: true
                    implicitHeight: 44
                    Accessible.name: qsTr("Book without a customer")
                    onClicked: {
                        booking.customerId = ""
                        booking.customerName = ""
                    }
                }
            }

            Label { text: qsTr("Day"); font.pixelSize: 15 }
            ChoiceBox {
                objectName: "bookingDay"
                model: booking.days
                textRole: "label"
                valueRole: "value"
                currentIndex: count > 0 ? indexOfValue(booking.date) : -1
                Layout.fillWidth: true
                Accessible.name: qsTr("Day")
                onActivated: booking.date = currentValue
            }

            Label { text: qsTr("Time"); font.pixelSize: 15 }
            RowLayout {
                spacing: 12
                Layout.fillWidth: true

                ChoiceBox {
                    objectName: "bookingTime"
                    model: booking.times
                    currentIndex: Math.max(0, model.indexOf(booking.time))
                    Layout.fillWidth: true
                    Accessible.name: qsTr("Time, on the store's clock")
                    onActivated: booking.time = currentText
                }
                ChoiceBox {
                    objectName: "bookingLength"
                    model: booking.durations
                    textRole: "label"
                    valueRole: "value"
                    currentIndex: count > 0 ? indexOfValue(booking.durationMinutes) : -1
                    Layout.fillWidth: true
                    Accessible.name: qsTr("How long")
                    onActivated: booking.durationMinutes = currentValue
                }
            }

            Label { text: qsTr("What for"); font.pixelSize: 15 }
            TextField {
                id: purposeField

                objectName: "bookingPurpose"
                placeholderText: qsTr("Boot fitting, repair pickup…")
                maximumLength: 200
                font.pixelSize: 16
                implicitHeight: 52
                Layout.fillWidth: true
                Accessible.name: qsTr("What the appointment is for")
                onTextChanged: booking.purpose = text
            }

            Label {
                objectName: "bookingWhen"
                visible: booking.whenText.length > 0 && booking.error.length === 0
                text: booking.whenText
                font.pixelSize: 17
                font.weight: Font.DemiBold
                color: "#1b5e20"
                wrapMode: Text.WordWrap
                Layout.columnSpan: 2
                Layout.fillWidth: true
                Layout.topMargin: 6
            }
            Label {
                objectName: "bookingError"
                visible: booking.error.length > 0
                text: booking.error
                font.pixelSize: 16
                color: "#8a1c12"
                wrapMode: Text.WordWrap
                Layout.columnSpan: 2
                Layout.fillWidth: true
                Layout.topMargin: 6
                Accessible.role: Accessible.AlertMessage
                Accessible.name: text
            }
            Label {
                text: qsTr("Times are the store's own clock. It is saved on this device at once and sent when there is a connection.")
                font.pixelSize: 13
                color: "#78909c"
                wrapMode: Text.WordWrap
                Layout.columnSpan: 2
                Layout.fillWidth: true
            }
        }
    }
}
