"""ψ under a byte budget: the expected acceptance of a payload, the knobs that maximise it
for a budget (the rate–acceptance frontier), the QSV and SQS anchors on the same byte
accounting, and a proposer that adapts the payload per context. See docs/FRONTIER.md."""
