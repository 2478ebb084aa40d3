"""The append-only, hash-chained audit trail (app label ``audit``); see ``sre.audit.services``."""
