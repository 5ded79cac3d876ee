"""Alerting: rules over the stored state, the pending -> firing -> resolved bookkeeping, notifications.

`core` (candidates, context, thresholds) <- `*_rules` (one module per subject) <- `rules` (all of them)
<- `evaluate` (state changes as AlertEvent rows) ; `notify` (digests, delivery) -> `transports` ;
`cycle` runs diagnosis -> evaluate -> notify and is the only module that knows all three.
"""
