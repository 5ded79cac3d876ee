"""REST API of the devices app (DESIGN.md §5.3)."""
