"""Admin registrations of the statuspage app."""
