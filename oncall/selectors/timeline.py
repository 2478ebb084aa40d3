"""The schedule page's timeline: each layer's shifts, the overrides and the final schedule as bars over a window,
then the final shifts as lines (reads only; the bar geometry is ``oncall.domain.timeline``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from oncall.domain import schedule as sched
from oncall.domain import timeline as tl
from oncall.models import Layer, Schedule
from oncall.selectors import (
    PersonRef,
    ScheduleInputs,
    layer_domain,
    people_refs,
    schedule_final,
    schedule_inputs,
)


def source_label(source: str, layer_names: dict[str, str]) -> str:
    """What put a shift there, for people: "Primary", "override", "swap", "fallback", "iCal" (joined by +)."""
    out = []
    for part in source.split("+"):
        kind = part.split(":", 1)[0]
        out.append(layer_names.get(part) or {"override": "override", "swap": "swap", "ical": "iCal"}.get(kind, part))
    return " + ".join(dict.fromkeys(out))


@dataclass(frozen=True)
class TimelineBar:
    """A bar as drawn: where (``left``/``width`` in percent of the window), what, who and in which colour."""

    bar: tl.Bar
    people: tuple[PersonRef, ...]
    colour: int  # 0..7 by person; -1 for gaps, overlaps and several people

    @property
    def text(self) -> str:
        return ", ".join(p.label for p in self.people)


@dataclass(frozen=True)
class TimelineRow:
    label: str
    kind: str  # "layer", "ical", "overrides", "final"
    bars: tuple[TimelineBar, ...]
    layer: Layer | None = None
    preview: bool = False
    level: int | None = None  # of a layer row


@dataclass(frozen=True)
class ShiftLine:
    """One line of the final schedule's list: a shift, or a gap nobody covers."""

    start: datetime
    end: datetime
    people: tuple[PersonRef, ...]
    source: str
    gap: bool
    overlap: bool


@dataclass(frozen=True)
class ScheduleTimeline:
    window: tl.Window
    rows: tuple[TimelineRow, ...]
    ticks: tuple[tl.Tick, ...]
    now_left: float | None
    lines: tuple[ShiftLine, ...]
    gaps: tuple[sched.Interval, ...]
    overlaps: tuple[sched.Interval, ...]


_RawRow = tuple[str, str, list[tl.Bar], Layer | None, bool, int | None]


def _raw_rows(
    schedule: Schedule,
    *,
    layers: list,
    inputs: ScheduleInputs,
    final: sched.FinalSchedule,
    win: tl.Window,
    names: dict[str, str],
    models_by_key: dict[str, Layer],
    preview_key: str | None,
) -> list[_RawRow]:
    """The timeline's rows before people are resolved: each layer (highest first), the overrides, the final schedule
    with its gaps and overlaps, as (label, kind, bars, layer model, is the preview, level)."""
    start, end = win.start, win.end
    raw: list[_RawRow] = []
    for layer in sorted(layers, key=lambda x: -x.level):
        if isinstance(layer, sched.Layer):
            shifts = sched.layer_shifts(layer=layer, time_zone=schedule.time_zone, start=start, end=end)
            label, kind = names.get(layer.key, layer.key), "layer"
        else:
            shifts = [s for s in layer.shifts if s.end > start and s.start < end]
            label, kind = "iCal calendar", "ical"
        bars = tl.bars(((s.start, s.end, s.people, s.source, "shift") for s in shifts), win=win)
        model = models_by_key.get(layer.key) if layer.key != preview_key else None
        raw.append((label, kind, bars, model, layer.key == preview_key, layer.level))
    override_bars = tl.bars(((o.start, o.end, (o.person,), o.key, "override") for o in inputs.overrides), win=win)
    raw.append(("Overrides", "overrides", override_bars, None, False, None))
    final_items = [
        (s.start, s.end, s.people, s.source, "fallback" if s.source == "fallback" else "shift") for s in final.shifts
    ]
    final_items += [(g.start, g.end, (), "", "gap") for g in final.gaps]
    final_items += [(o.start, o.end, (), "", "overlap") for o in final.overlaps]
    raw.append(("Final schedule", "final", tl.bars(final_items, win=win), None, False, None))
    return raw


def _shift_lines(
    final: sched.FinalSchedule, *, refs: dict[str, PersonRef], names: dict[str, str], fallback: bool
) -> tuple[ShiftLine, ...]:
    """The final shifts as lines, in time order, with the gaps nobody covers unless a fallback person does."""
    lines = [
        ShiftLine(
            start=s.start,
            end=s.end,
            people=tuple(refs[p] for p in s.people),
            source=source_label(s.source, names),
            gap=s.source == "fallback",
            overlap=any(o.start < s.end and o.end > s.start for o in final.overlaps),
        )
        for s in final.shifts
    ]
    if not fallback:
        lines += [ShiftLine(g.start, g.end, (), "", True, False) for g in final.gaps]
    lines.sort(key=lambda line: line.start)
    return tuple(lines)


def schedule_timeline(
    schedule: Schedule,
    *,
    win: tl.Window,
    now: datetime,
    final: sched.FinalSchedule | None = None,
    preview: dict | None = None,
) -> ScheduleTimeline:
    """The schedule page's timeline over ``win`` (a ``timeline.Window``): one row per layer with its own
    shifts, the overrides, and the final schedule with gaps and overlaps; then the final shifts as lines.
    With ``preview`` (layer fields as ``schedules.layer_preview`` takes them, ``id`` for an edited layer)
    and the ``final`` that preview returned, the previewed layer replaces or joins the layers. Reads only."""
    start, end = win.start, win.end
    inputs = schedule_inputs(schedule, start=start, end=end)
    models_by_key = {f"layer:{layer.pk}": layer for layer in schedule.layers.all()}
    domain_layers = list(inputs.layers)
    preview_key = None
    if preview is not None:
        unsaved = Layer(schedule=schedule, **{k: v for k, v in preview.items() if k != "id"})
        unsaved.pk = preview.get("id") or -1
        preview_key = f"layer:{unsaved.pk}"
        models_by_key[preview_key] = unsaved
        domain_layers = [x for x in domain_layers if x.key != preview_key] + [layer_domain(unsaved)]
    if final is None:
        final = schedule_final(schedule, start=start, end=end)
    names = {k: (m.name or f"Layer {m.pk}") for k, m in models_by_key.items() if m.pk and m.pk > 0}
    if preview_key:
        names[preview_key] = (preview.get("name") or "This layer") + " (preview)"

    raw = _raw_rows(
        schedule,
        layers=domain_layers,
        inputs=inputs,
        final=final,
        win=win,
        names=names,
        models_by_key=models_by_key,
        preview_key=preview_key,
    )
    keys = [p for _, _, bars, _, _, _ in raw for b in bars for p in b.people]
    refs = people_refs(keys)
    colours: dict[str, int] = {}
    for key in keys:
        colours.setdefault(key, len(colours) % 8)
    rows = tuple(
        TimelineRow(
            label=label,
            kind=kind,
            bars=tuple(
                TimelineBar(
                    bar=b,
                    people=tuple(refs[p] for p in b.people),
                    colour=colours[b.people[0]] if len(b.people) == 1 else -1,
                )
                for b in bars
            ),
            layer=model,
            preview=preview_row,
            level=level,
        )
        for label, kind, bars, model, preview_row, level in raw
    )
    lines = _shift_lines(final, refs=refs, names=names, fallback=bool(inputs.fallback))
    return ScheduleTimeline(
        window=win,
        rows=rows,
        ticks=tuple(tl.day_ticks(win=win, time_zone=schedule.time_zone)),
        now_left=tl.now_marker(now=now, win=win),
        lines=lines,
        gaps=final.gaps,
        overlaps=final.overlaps,
    )
