"""Pure maths of the audit trail: canonical JSON, the hash chain and its verification, field diffs."""
