"""Shared API plumbing: authentication, permissions, parsing, errors, pagination, throttling."""
