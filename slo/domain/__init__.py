"""Pure SLO maths and formats: no Django, no I/O, no clock reads (time is always an argument)."""
