import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts
import CallCommander.Core
import CallCommander.Ui

// For admins: the outside services the organisation uses — a source of stock (Shopify or
// Square) and Google Calendar for appointments — each with how it stands and the form to set it
// up. What the server answers is shown as it is; credentials go in and never come back.
Page {
    id: page

    // The list (the server's; a test or demo gives its own) and where the stores come from.
    property IntegrationsModel integrations: IntegrationsModel {
        session: Session
    }
    property QtObject cache: Sync

    title: qsTr("Integrations")

    StoresModel {
        id: allStores

        sync: page.cache
        all: true
    }

    header: ToolBar {
        Material.background: "white"
        Material.foreground: "#1f3a5f"
        Material.elevation: 1

        RowLayout {
            anchors.fill: parent
            anchors.leftMargin: 8
            anchors.rightMargin: 8

            ToolButton {
                text: qsTr("‹ Back")
                implicitHeight: 48
                visible: page.StackView.view !== null && page.StackView.index > 0
                Accessible.name: qsTr("Back")
                onClicked: page.StackView.view.pop()
            }
            Label {
                text: page.title
                font.pixelSize: 22
                font.weight: Font.DemiBold
                elide: Text.ElideRight
                Layout.fillWidth: true
                Layout.leftMargin: 8
            }
            BusyIndicator {
                running: page.integrations.loading
                visible: running
                implicitWidth: 40
                implicitHeight: 40
            }
            ToolButton {
                text: qsTr("Refresh")
                implicitHeight: 48
                enabled: !page.integrations.loading
                Accessible.name: qsTr("Refresh the list")
                onClicked: page.integrations.reload()
            }
        }
    }

    // A Flickable, not a ScrollView: see CallsPage.
    Flickable {
        id: scroller

        objectName: "integrationsScroller"
        anchors.fill: parent
        contentWidth: width
        contentHeight: column.implicitHeight + 48
        boundsBehavior: Flickable.StopAtBounds
        clip: true
        ScrollBar.vertical: ScrollBar {}

        ColumnLayout {
            id: column

            width: Math.min(scroller.width - 32, 760)
            x: (scroller.width - width) / 2
            y: 24
            spacing: 16

            Pane {
                objectName: "integrationsError"
                visible: page.integrations.error.length > 0
                Material.background: "#fdecea"
                Layout.fillWidth: true

                Label {
                    width: parent.width
                    text: page.integrations.error
                    color: "#8a1c12"
                    wrapMode: Text.WordWrap
                    font.pixelSize: 16
                }
            }

            Label {
                text: qsTr("Connect one source of stock (Shopify or Square) and Google Calendar. The phone line and the counter tablets then check stock and keep each store's calendar up to date. Link each store to its place at the provider.")
                font.pixelSize: 15
                color: "#455a64"
                wrapMode: Text.WordWrap
                Layout.fillWidth: true
            }

            Repeater {
                objectName: "integrationCards"
                model: page.integrations

                delegate: IntegrationCard {
                    integrations: page.integrations
                    stores: allStores
                    Layout.fillWidth: true
                }
            }
        }
    }
}
