import QtQuick
import CallCommander.Core

// "Live" in green while figures arrive; amber with their age ("As of 14:02 · 3 min ago") once
// the connection is gone and the figures on show are the last ones received.
StatusChip {
    required property LiveAnalytics live

    objectName: "freshness"
    text: live.freshnessText
    tone: !live.hasData ? "#546e7a" : live.stale ? "#b26a00" : "#2e7d32"
    filled: live.hasData && !live.stale
}
