"""REST API of the pki app (DESIGN.md §5.3)."""
