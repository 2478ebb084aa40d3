"""The demo: users per role, a few services, and synthetic traffic so numbers move after ``make run``."""
