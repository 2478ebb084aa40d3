"""On call: final schedules and "who is on call now" for 1,000 schedules, and 1,000 groups escalating at once.

Part 1 (one process, PostgreSQL): 1,000 schedules of 3 layers each (weekly 09:00 Europe/Berlin, daily with a
weekday 09-17 restriction, 8-hourly in America/New_York) and 2 overrides each. Timed: loading them (queries
counted) and the 90-day final schedule of 100 of them; "who is on call now" for all 1,000.

Part 2 (PostgreSQL, Redis broker, two Celery worker processes and beat, as production runs them on two
cores): 1,000 alert groups open at once on a route whose policy pages a person, waits 1 minute, pages a
second, waits 1 minute, pages a third. Every step's lateness against its due time is read back from the
groups' timelines; steps missing or run twice are counted.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def run(*, quick: bool) -> dict:
    from bench.support import postgres_database

    schedules, groups = (200, 100) if quick else (1000, 1000)
    rows: list[list] = []
    extra: dict = {}
    with postgres_database("sre_bench_oncall") as url:
        env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "sre.settings"}
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
        out = _inner(env, "schedules", str(schedules))
        rows += out["rows"]
        extra.update(out["extra"])
        rows += _escalations(env, groups, extra)
    return {
        "title": f"On call: {schedules} schedules x 3 layers; {groups} groups escalating (2 workers + beat, Redis)",
        "columns": ["what", "count", "seconds", "per item", "queries / notes"],
        "rows": rows,
        "extra": extra,
    }


def _inner(env: dict, *args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--inner", *args], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def _escalations(env: dict, groups: int, extra: dict) -> list[list]:
    with tempfile.TemporaryDirectory(prefix="sre-bench-oncall-") as var:
        env = {**env, "SRE_VAR_DIR": var, "CELERY_BROKER_URL": "redis://127.0.0.1:6379/14", "SRE_ONCALL_TICK": "5"}
        subprocess.run(["redis-cli", "-n", "14", "FLUSHDB"], check=True, capture_output=True)
        log = open(Path(var) / "celery.log", "w")  # noqa: SIM115 - closed below, after the processes
        procs = [
            subprocess.Popen([sys.executable, "-m", "celery", "-A", "sre", "worker", "--concurrency", "2",
                              "--loglevel", "WARNING", "--without-gossip", "--without-mingle"],
                             cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT),
            subprocess.Popen([sys.executable, "-m", "celery", "-A", "sre", "beat", "--loglevel", "WARNING",
                              "--schedule", str(Path(var) / "beat")],
                             cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT),
        ]  # fmt: skip
        try:
            out = _inner(env, "escalations", str(groups))
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
            log.close()
    extra.update(out["extra"])
    return out["rows"]


# --- inside the benchmark's own Django process ---------------------------------------------------------------


def _setup_django() -> None:
    import django

    django.setup()


def _schedules(count: int) -> dict:
    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from oncall.domain import schedule as sched
    from oncall.models import Layer, Override, Schedule
    from oncall.selectors import schedule_inputs, schedule_list

    User = get_user_model()
    people = [User(username=f"bench-{i}") for i in range(50)]
    User.objects.bulk_create(people)
    ids = list(User.objects.filter(username__startswith="bench-").values_list("pk", flat=True))
    start = dt.date(2026, 1, 5)
    with transaction.atomic():
        made = Schedule.objects.bulk_create(
            [Schedule(name=f"bench-{i}", time_zone=("Europe/Berlin", "America/New_York", "UTC")[i % 3])
             for i in range(count)]
        )  # fmt: skip
        layers, overrides = [], []
        for i, schedule in enumerate(made):
            team = [ids[(i + k) % len(ids)] for k in range(4)]
            layers += [
                Layer(schedule=schedule, level=0, participants=team, rotation="weeks", every=1, start_date=start,
                      handoff_time=dt.time(9)),
                Layer(schedule=schedule, level=1, participants=team[:3], rotation="days", every=1, start_date=start,
                      handoff_time=dt.time(9), restrictions=[{"weekdays": [0, 1, 2, 3, 4], "start": "09:00",
                                                               "end": "17:00"}]),
                Layer(schedule=schedule, level=2, participants=team[1:], rotation="hours", every=8,
                      start_date=start, handoff_time=dt.time(1), restrictions=[{"weekdays": [5, 6],
                                                                                "start": "10:00", "end": "14:00"}]),
            ]  # fmt: skip
            base = timezone.now() + dt.timedelta(days=i % 30)
            overrides += [
                Override(schedule=schedule, user_id=team[-1], start=base, end=base + dt.timedelta(hours=4)),
                Override(schedule=schedule, user_id=team[0], start=base + dt.timedelta(days=3),
                         end=base + dt.timedelta(days=3, hours=12)),
            ]  # fmt: skip
        Layer.objects.bulk_create(layers)
        Override.objects.bulk_create(overrides)
    now = timezone.now()
    end = now + dt.timedelta(days=90)
    rows = []
    with CaptureQueriesContext(connection) as load_q:
        t0 = time.perf_counter()
        loaded = list(schedule_list())
        load_s = time.perf_counter() - t0
    rows.append(["load schedules (prefetched)", count, round(load_s, 3), f"{load_s / count * 1e3:.2f} ms",
                 f"{len(load_q)} queries"])  # fmt: skip
    hundred = loaded[:100]
    with CaptureQueriesContext(connection) as final_q:
        t0 = time.perf_counter()
        shifts = 0
        for schedule in hundred:
            inputs = schedule_inputs(schedule, start=now, end=end)
            final = sched.final_schedule(time_zone=inputs.time_zone, layers=inputs.layers,
                                         overrides=inputs.overrides, swaps=inputs.swaps, start=now, end=end,
                                         fallback=inputs.fallback)  # fmt: skip
            shifts += len(final.shifts)
        final_s = time.perf_counter() - t0
    rows.append(["90-day final schedule", 100, round(final_s, 3), f"{final_s / 100 * 1e3:.2f} ms",
                 f"{len(final_q)} queries, {shifts} shifts (goal <= 1 s)"])  # fmt: skip
    for label in ("who is on call now (first, compiling layers)", "who is on call now (again, compiled)"):
        with CaptureQueriesContext(connection) as now_q:
            t0 = time.perf_counter()
            on_call = 0
            for schedule in loaded:
                inputs = schedule_inputs(schedule, start=now - dt.timedelta(days=1), end=now + dt.timedelta(days=1))
                people_now = sched.on_call_at(time_zone=inputs.time_zone, layers=inputs.layers,
                                              overrides=inputs.overrides, swaps=inputs.swaps, at=now,
                                              fallback=inputs.fallback)  # fmt: skip
                on_call += bool(people_now)
            now_s = time.perf_counter() - t0
        rows.append([label, count, round(now_s, 4), f"{now_s / count * 1e6:.0f} us",
                     f"{len(now_q)} queries, {on_call} with someone on call (goal <= 50 ms)"])  # fmt: skip
    return {"rows": rows, "extra": {"schedules": count}}


def _escalations_inner(groups: int) -> dict:
    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from alerts.choices import GroupEventKind
    from alerts.models import GroupEvent, Receiver, Route
    from alerts.services import alert_raise
    from oncall.choices import EscalationState
    from oncall.models import ContactMethod, Escalation, Page, RoutePolicy
    from oncall.services.policies import policy_save

    User = get_user_model()
    people = []
    for name in ("first", "second", "third"):
        user = User.objects.create(username=f"esc-{name}", email=f"{name}@example.com")
        ContactMethod.objects.create(user=user, kind="email", address=user.email, verified_at=timezone.now())
        people.append(user)
    receiver = Receiver.objects.create(name="bench-ledger")
    route = Route.objects.create(name="bench-root", receiver=receiver, group_by=["alertname"], group_wait=0,
                                 group_interval=60, repeat_interval=86400)  # fmt: skip
    steps = [{"kind": "notify_persons", "persons": [people[0].pk]}, {"kind": "wait", "wait_minutes": 1},
             {"kind": "notify_persons", "persons": [people[1].pk]}, {"kind": "wait", "wait_minutes": 1},
             {"kind": "notify_persons", "persons": [people[2].pk]}]  # fmt: skip
    RoutePolicy.objects.create(route=route, policy=policy_save(policy=None, data={"name": "bench", "steps": steps}))
    t0 = time.perf_counter()
    for i in range(groups):
        alert_raise(labels={"alertname": f"Bench{i}", "severity": "warning"}, annotations={}, status="firing",
                    source="bench", now=timezone.now())  # fmt: skip
    opened_s = time.perf_counter() - t0
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        ended = Escalation.objects.filter(state=EscalationState.EXHAUSTED).count()
        if ended >= groups:
            break
        time.sleep(2)
    connection.close()
    lateness: dict[str, list[float]] = {"step 1": [], "step 3": [], "step 5": []}
    missing = twice = 0
    for escalation in Escalation.objects.all().iterator():
        events = list(
            GroupEvent.objects.filter(group_id=escalation.group_id, kind=GroupEventKind.ESCALATION,
                                      message__startswith="Step ").order_by("pk").values_list("message", "at")
        )  # fmt: skip
        at = {}
        for message, when in events:
            key = message.split(":")[0].lower()
            twice += key in at
            at[key] = when
        if any(k not in at for k in ("step 1", "step 2", "step 3", "step 4", "step 5")):
            missing += 1
            continue
        lateness["step 1"].append((at["step 1"] - escalation.started_at).total_seconds())
        lateness["step 3"].append((at["step 3"] - at["step 2"] - dt.timedelta(minutes=1)).total_seconds())
        lateness["step 5"].append((at["step 5"] - at["step 4"] - dt.timedelta(minutes=1)).total_seconds())
    pages = Page.objects.count()
    rows = [["open groups (alert intake, hook)", groups, round(opened_s, 2), f"{opened_s / groups * 1e3:.1f} ms",
             "each starts an escalation"]]  # fmt: skip
    for key, values in lateness.items():
        values.sort()
        if not values:
            continue
        p50 = statistics.median(values)
        p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
        rows.append([f"lateness of {key}", len(values), round(max(values), 2), f"p50 {p50:.2f} s",
                     f"p99 {p99:.2f} s (goal p99 <= 2 s)"])  # fmt: skip
    extra = {"groups": groups, "escalations_exhausted": Escalation.objects.filter(state="exhausted").count(),
             "pages": pages, "expected_pages": groups * 3, "steps_missing": missing, "steps_twice": twice}  # fmt: skip
    return {"rows": rows, "extra": extra}


if __name__ == "__main__" and len(sys.argv) > 2 and sys.argv[1] == "--inner":
    _setup_django()
    kind = sys.argv[2]
    result = _schedules(int(sys.argv[3])) if kind == "schedules" else _escalations_inner(int(sys.argv[3]))
    print(json.dumps(result, default=str))
