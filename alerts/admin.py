"""Admin registrations of the alerts app."""
