"""Roles, anonymous-access rules and role checks for HTML views."""
