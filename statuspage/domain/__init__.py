"""Pure status page logic: status roll-ups, uptime per day, maintenance occurrences (no Django, no clock)."""
