"""Backup targets and disaster-recovery restore drills."""
