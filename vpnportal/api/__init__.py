"""REST API of the vpnportal app (docs/contracts.md §4)."""
