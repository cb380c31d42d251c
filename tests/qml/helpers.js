.pragma library

// Depth-first search of an item tree for the object with this objectName (visual children and,
// for controls such as Page and ScrollView, their content items).
function findChild(item, name) {
    if (!item)
        return null
    if (item.objectName === name)
        return item
    const kids = []
    for (let i = 0; i < item.children.length; ++i)
        kids.push(item.children[i])
    if (item.contentItem && item.contentItem !== item)
        kids.push(item.contentItem)
    for (let i = 0; i < kids.length; ++i) {
        const found = findChild(kids[i], name)
        if (found)
            return found
    }
    return null
}
