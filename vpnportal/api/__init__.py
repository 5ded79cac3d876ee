"""REST API of the vpnportal app (DESIGN.md §5.3)."""
