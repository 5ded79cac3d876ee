"""REST API of the devices app (docs/contracts.md §4)."""
