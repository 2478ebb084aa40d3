"""Pure alerting logic: matchers, routing, time intervals, silences, delivery maths. No Django, no I/O."""
