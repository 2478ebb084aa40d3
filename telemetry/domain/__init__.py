"""Pure telemetry logic: naming rules, sample validation, counter increases, window arithmetic, wire formats.

No Django imports, no I/O, no clock reads: ``now`` is always an argument.
"""
