"""Incidents, timelines, postmortems and action items."""
