// The backtest chart of an alert rule, drawn as SVG (no library): one line per label set, the threshold as a dashed
// line with its label, shaded bands where the rule would have fired, a time axis in the viewer's time zone, and a
// legend. Input: the JSON of POST /api/v1/rules/backtest. window.RulesChart.draw(box, data).
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var COLORS = ["#1d4ed8", "#c2410c", "#15803d", "#7c3aed", "#0e7490", "#a16207", "#be185d", "#4d7c0f", "#475569",
    "#9333ea"];
  var HEIGHT = 260;
  var MARGIN = { top: 14, right: 16, bottom: 30, left: 60 };
  var STEPS = [60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800];

  function svg(name, attrs, parent) {
    var node = document.createElementNS(NS, name);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (parent) { parent.appendChild(node); }
    return node;
  }

  function html(name, attrs, text, parent) {
    var node = document.createElement(name);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined && text !== null) { node.textContent = text; }
    if (parent) { parent.appendChild(node); }
    return node;
  }

  function labelText(labels) {
    var keys = Object.keys(labels || {}).sort();
    if (!keys.length) { return "(no labels)"; }
    return "{" + keys.map(function (k) { return k + "=\"" + labels[k] + "\""; }).join(", ") + "}";
  }

  function formatNumber(value) {
    if (value === null || value === undefined) { return "—"; }
    var abs = Math.abs(value);
    if (abs !== 0 && (abs >= 1e6 || abs < 1e-3)) { return value.toExponential(2); }
    return String(Math.round(value * 1000) / 1000);
  }

  var zone = (Intl.DateTimeFormat().resolvedOptions().timeZone) || "local time";
  var timeOnly = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
  var dayAndTime = new Intl.DateTimeFormat(undefined, { weekday: "short", hour: "2-digit", minute: "2-digit" });
  var dayOnly = new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short" });
  var full = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric", hour: "2-digit",
    minute: "2-digit" });

  // Tick times (ms) on whole steps of the viewer's local clock, about six across the range.
  function timeTicks(t0, t1) {
    var span = (t1 - t0) / 1000;
    var step = STEPS[STEPS.length - 1];
    for (var i = 0; i < STEPS.length; i++) { if (span / STEPS[i] <= 7) { step = STEPS[i]; break; } }
    var first = new Date(t0);
    first.setSeconds(0, 0);
    if (step >= 86400) {
      first.setHours(0, 0);
    } else if (step >= 3600) {
      first.setMinutes(0);
      first.setHours(first.getHours() - (first.getHours() % (step / 3600)));
    } else {
      first.setMinutes(first.getMinutes() - (first.getMinutes() % (step / 60)));
    }
    var ticks = [];
    var at = new Date(first.getTime());
    var guard = 0;
    while (at.getTime() <= t1 && guard < 100) {
      if (at.getTime() >= t0) { ticks.push(at.getTime()); }
      if (step >= 86400) { at.setDate(at.getDate() + step / 86400); } else { at = new Date(at.getTime() + step * 1000); }
      guard += 1;
    }
    return { ticks: ticks, format: step >= 86400 ? dayOnly : (span > 86400 ? dayAndTime : timeOnly) };
  }

  function valueTicks(lo, hi) {
    var span = hi - lo;
    var raw = span / 4;
    var mag = Math.pow(10, Math.floor(Math.log10(raw)));
    var step = [1, 2, 5, 10].map(function (m) { return m * mag; }).filter(function (s) { return s >= raw; })[0];
    var out = [];
    for (var v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) { out.push(Math.round(v / step) * step); }
    return out;
  }

  function draw(box, data) {
    box.textContent = "";
    var t0 = Date.parse(data.start);
    var t1 = Date.parse(data.end);
    var width = Math.max(320, Math.round(box.clientWidth || 720));
    var plotW = width - MARGIN.left - MARGIN.right;
    var plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
    var values = [];
    data.series.forEach(function (s) { s.points.forEach(function (p) { if (p[1] !== null) { values.push(p[1]); } }); });
    if (data.threshold !== null) { values.push(data.threshold); }
    var lo = values.length ? Math.min.apply(null, values) : 0;
    var hi = values.length ? Math.max.apply(null, values) : 1;
    if (lo === hi) { lo -= Math.abs(lo) * 0.1 || 1; hi += Math.abs(hi) * 0.1 || 1; }
    var pad = (hi - lo) * 0.08;
    lo -= pad; hi += pad;
    if (lo < 0 && Math.min.apply(null, values.length ? values : [0]) >= 0) { lo = 0; }
    function x(ms) { return MARGIN.left + (t1 > t0 ? (ms - t0) / (t1 - t0) : 0) * plotW; }
    function y(v) { return MARGIN.top + (1 - (v - lo) / (hi - lo)) * plotH; }

    var title = "When the rule would have fired, " + full.format(new Date(t0)) + " to " + full.format(new Date(t1));
    var root = svg("svg", { viewBox: "0 0 " + width + " " + HEIGHT, width: "100%", class: "rl-svg", role: "img",
      "aria-label": title, "data-testid": "backtest-svg" });
    svg("title", {}, root).textContent = title;

    // Firing bands first, under the lines.
    data.firing.forEach(function (interval) {
      var a = x(Date.parse(interval.start));
      var b = x(interval.end ? Date.parse(interval.end) : t1);
      var band = svg("rect", { x: a, y: MARGIN.top, width: Math.max(2, b - a), height: plotH, class: "rl-band",
        "data-testid": "firing-band" }, root);
      svg("title", {}, band).textContent = "Firing " + labelText(interval.labels) + ": " +
        full.format(new Date(Date.parse(interval.start))) + " – " +
        (interval.end ? full.format(new Date(Date.parse(interval.end))) : "still firing at the end");
    });

    // Axes and grid.
    valueTicks(lo, hi).forEach(function (v) {
      svg("line", { x1: MARGIN.left, x2: width - MARGIN.right, y1: y(v), y2: y(v), class: "rl-grid" }, root);
      svg("text", { x: MARGIN.left - 6, y: y(v) + 4, class: "rl-tick", "text-anchor": "end" }, root).textContent =
        formatNumber(v);
    });
    var times = timeTicks(t0, t1);
    times.ticks.forEach(function (ms) {
      svg("line", { x1: x(ms), x2: x(ms), y1: MARGIN.top + plotH, y2: MARGIN.top + plotH + 4, class: "rl-axis" }, root);
      svg("text", { x: x(ms), y: HEIGHT - 10, class: "rl-tick", "text-anchor": "middle" }, root).textContent =
        times.format.format(new Date(ms));
    });
    svg("line", { x1: MARGIN.left, x2: width - MARGIN.right, y1: MARGIN.top + plotH, y2: MARGIN.top + plotH,
      class: "rl-axis" }, root);

    // One line per label set; a null value (NaN, ±Inf) or a missing evaluation breaks the line.
    var gap = data.step * 1500;
    data.series.forEach(function (s, index) {
      var d = "";
      var last = null;
      s.points.forEach(function (p) {
        if (p[1] === null) { last = null; return; }
        var ms = p[0] * 1000;
        d += (last === null || ms - last > gap ? "M" : "L") + x(ms).toFixed(1) + "," + y(p[1]).toFixed(1);
        last = ms;
      });
      if (d) {
        var path = svg("path", { d: d, class: "rl-line", stroke: COLORS[index % COLORS.length],
          "data-testid": "series-line" }, root);
        svg("title", {}, path).textContent = labelText(s.labels);
      }
    });

    if (data.threshold !== null) {
      var ty = y(data.threshold);
      svg("line", { x1: MARGIN.left, x2: width - MARGIN.right, y1: ty, y2: ty, class: "rl-threshold",
        "data-testid": "threshold-line" }, root);
      var label = svg("text", { x: width - MARGIN.right - 4, y: ty - 5, class: "rl-threshold-label",
        "text-anchor": "end" }, root);
      label.textContent = "threshold " + (data.comparison || "") + " " + formatNumber(data.threshold);
    }
    box.appendChild(root);

    var caption = html("p", { class: "muted small" }, "Times in " + zone + ".", box);
    caption.setAttribute("data-testid", "backtest-zone");
    if (data.series.length) {
      var legend = html("ul", { class: "rl-legend" }, null, box);
      data.series.forEach(function (s, index) {
        var item = html("li", {}, null, legend);
        var swatch = html("span", { class: "rl-swatch", "aria-hidden": "true" }, null, item);
        swatch.style.background = COLORS[index % COLORS.length];
        html("span", { class: "mono small" }, labelText(s.labels), item);
      });
      if (data.series_total > data.series.length) {
        html("p", { class: "muted small" }, "Showing " + data.series.length + " of " + data.series_total +
          " label sets (the highest peaks).", box);
      }
    }
    if (data.firing.length) {
      var details = html("details", { class: "rl-firing-list" }, null, box);
      html("summary", {}, "When it would have fired (" + data.firing.length + ")", details);
      var list = html("ul", {}, null, details);
      data.firing.forEach(function (interval) {
        html("li", { class: "small" }, full.format(new Date(Date.parse(interval.start))) + " – " +
          (interval.end ? full.format(new Date(Date.parse(interval.end))) : "still firing") + ": " +
          labelText(interval.labels), list);
      });
    }
  }

  // One sentence saying what the backtest found.
  function summary(data, rangeText) {
    if (data.error) { return "The rule errors over this range: " + data.error; }
    if (data.note && !data.evaluations) { return data.note; }
    var sets = {};
    data.firing.forEach(function (i) { sets[labelText(i.labels)] = true; });
    var count = data.firing.length;
    var text = count ? "Would have fired " + count + " time" + (count === 1 ? "" : "s") + " (" +
      Object.keys(sets).length + " label set" + (Object.keys(sets).length === 1 ? "" : "s") + ") over " + rangeText
      : "Would not have fired over " + rangeText;
    text += ": " + data.evaluations + " evaluations, one every " + (data.step % 60 ? data.step + " s" : data.step / 60 +
      " min") + ".";
    if (!data.series.length) { text += " No series matched: is the metric pushed, and are its labels right?"; }
    if (data.note) { text += " " + data.note; }
    return text;
  }

  window.RulesChart = { draw: draw, summary: summary, labelText: labelText };
})();
