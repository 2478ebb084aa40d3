"""Writes of the oncall app. Every state change goes through one of these modules:

- ``people``: teams, contact methods (verified by a test), notification rules, the iCal feed token;
- ``schedules``: schedules, layers, overrides, swaps, iCalendar layers;
- ``policies``: escalation policies and steps, route and severity links, direct paging;
- ``escalation``: running escalations (start, each step once, stop) and people's notification chains;
- ``dispatch``: the ledger of attempts to reach people (outbox) and the hand-off of due work to Celery;
- ``links``: signed, single-use action links in pages.
"""
