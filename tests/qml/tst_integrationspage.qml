import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtTest
import CallCommander.Core
import CallCommander.Ui
import CallCommander.TestData
import "helpers.js" as Helpers

// The integrations page as an admin sees it (DemoData.integrations: Shopify working with two
// stores linked, Google Calendar failing, Square not connected), with the stores from a demo
// cache: a card per provider with its state, the last error, and the form. Without a sign-in the
// server's list cannot load, and the page says so.
TestCase {
    id: testCase

    name: "IntegrationsPage"
    width: 1024
    height: 1000
    visible: true
    when: windowShown

    Component {
        id: demoStack

        StackView {
            anchors.fill: parent
            Material.primary: "#1f3a5f"
            Material.accent: Material.Teal
            initialItem: IntegrationsPage {
                integrations: DemoData.integrations
                cache: DemoData.managerSync
            }
        }
    }

    Component {
        id: signedOutStack

        StackView {
            anchors.fill: parent
            initialItem: IntegrationsPage {}
        }
    }

    function screenshot(item, name) {
        wait(400)
        waitForRendering(item)
        const image = grabImage(item)
        image.save(DemoData.screenshotFolder + "/" + name + ".png")
        const colours = {}
        for (let x = 5; x < image.width; x += Math.floor(image.width / 24)) {
            for (let y = 5; y < image.height; y += Math.floor(image.height / 24))
                colours[image.pixel(x, y).toString()] = true
        }
        verify(Object.keys(colours).length >= 4, name + ": the screenshot looks blank")
    }

    function test_cardsShowHowEachProviderStands() {
        const stack = createTemporaryObject(demoStack, testCase)
        const page = stack.currentItem
        compare(page.title, "Integrations")
        const cards = Helpers.findChild(page, "integrationCards")
        compare(cards.count, 3)
        compare(Helpers.findChild(page, "stateChip_shopify").text, "Working")
        compare(Helpers.findChild(page, "stateChip_square").text, "Not connected")
        compare(Helpers.findChild(page, "stateChip_google_calendar").text, "Failing")
        const error = Helpers.findChild(page, "lastError_google_calendar")
        verify(error.visible)
        compare(Helpers.findChild(page, "lastError_shopify").visible, false)
        verify(Helpers.findChild(page, "details_shopify").text.indexOf("2 stores linked") >= 0)
        // Not connected: one button to start, none to test or disconnect.
        compare(Helpers.findChild(page, "editButton_square").text, "Connect Square")
        compare(Helpers.findChild(page, "testButton_square").visible, false)
        verify(Helpers.findChild(page, "testButton_shopify").visible)
        verify(Helpers.findChild(page, "testButton_shopify").height >= 48)
        // Forms stay closed until asked for.
        compare(Helpers.findChild(page, "form_shopify").visible, false)
        compare(Helpers.findChild(page, "integrationsError").visible, false)
        screenshot(stack, "integrations-page")
    }

    function test_theFormShowsSettingsAndStoreLinksButNoSecrets() {
        const stack = createTemporaryObject(demoStack, testCase)
        const page = stack.currentItem
        mouseClick(Helpers.findChild(page, "editButton_shopify"))
        const form = Helpers.findChild(page, "form_shopify")
        verify(form.visible)
        compare(Helpers.findChild(page, "setting_shopify_base_url").text,
                "https://northwind-outfitters.myshopify.com")
        const token = Helpers.findChild(page, "credential_shopify_access_token")
        compare(token.text, "")
        compare(token.echoMode, TextInput.Password)
        compare(token.placeholderText, "Saved — leave empty to keep")
        verify(Helpers.findChild(page, "enabledSwitch_shopify").checked)
        // The stores of the organisation the cache holds, linked or not.
        tryVerify(() => Helpers.findChild(page, "link_shopify_" + DemoData.mainStreet) !== null, 10000)
        compare(Helpers.findChild(page, "link_shopify_" + DemoData.mainStreet).text, "gid://shopify/Location/1")
        compare(Helpers.findChild(page, "link_shopify_" + DemoData.riverside).text, "")

        // What cannot be saved is said on the card, and nothing is sent.
        Helpers.findChild(page, "setting_shopify_base_url").text = "http://northwind.myshopify.com"
        mouseClick(Helpers.findChild(page, "saveButton_shopify"))
        const message = Helpers.findChild(page, "formMessage_shopify")
        tryVerify(() => message.visible)
        verify(message.text.indexOf("https://") >= 0)
        verify(form.visible)
        compare(DemoData.integrations.busy, "")

        const scroller = Helpers.findChild(page, "integrationsScroller")
        scroller.contentY = Math.max(0, Helpers.findChild(page, "editButton_shopify").mapToItem(scroller.contentItem, 0, 0).y - 120)
        screenshot(stack, "integrations-form")
    }

    function test_signedOutSaysSo() {
        Session.signOut()
        const stack = createTemporaryObject(signedOutStack, testCase)
        const page = stack.currentItem
        const error = Helpers.findChild(page, "integrationsError")
        tryVerify(() => error.visible)
    }
}
