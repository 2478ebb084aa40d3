"""Pure helpers of the project package: no Django, no I/O, no clock reads."""
