"""REST API of the pki app: certificates, CRLs and re-enrollment jobs (docs/api.md, docs/enrollment.md)."""
