// SLO detail charts (plotly, vendored in static/vendor): budget burn-down, burn rate per window with the policy
// thresholds, and the SLI per bucket against the target, over the range chosen with ?range=. Data comes from
// json_script (slo/charts.py computes it: no point after now, the burn chart's y range and label positions).
// Releases (dotted lines, triangle markers) and incidents (shaded spans) sit on the time axis with hover text.
// The page's body is refreshed by htmx every 30 s: the charts are drawn again after each swap.
(function () {
  "use strict";
  var config = { displaylogo: false, responsive: true, displayModeBar: false };
  var margin = { t: 24, r: 12, b: 40, l: 55 };
  var RELEASE = "#6b7280", BURNING = "#b91c1c", INCIDENT = "rgba(185, 28, 28, 0.12)";

  function releaseColor(m) { return m.state === "burning" || m.state === "burned" ? BURNING : RELEASE; }

  // Lines and shaded spans (shapes: no hover in plotly) plus one marker trace on a hidden axis carrying the hover
  // text of each release and incident, at the top of the plot.
  function marks(data) {
    var releases = data.releases || [], incidents = data.incidents || [];
    var shapes = releases.map(function (m) {
      return { type: "line", xref: "x", yref: "paper", x0: m.x, x1: m.x, y0: 0, y1: 1,
               line: { dash: "dot", width: 1, color: releaseColor(m) } };
    }).concat(incidents.map(function (i) {
      return { type: "rect", xref: "x", yref: "paper", x0: i.x0, x1: i.x1, y0: 0, y1: 1, line: { width: 0 },
               fillcolor: INCIDENT, layer: "below" };
    }));
    var traces = [];
    if (releases.length) {
      traces.push({ x: releases.map(function (m) { return m.x; }), y: releases.map(function () { return 1; }),
        yaxis: "y2", mode: "markers", name: "releases", showlegend: false, cliponaxis: false,
        marker: { symbol: "triangle-down", size: 9, color: releases.map(releaseColor) },
        text: releases.map(function (m) { return "release " + m.version + (m.state ? " (" + m.state + ")" : ""); }),
        hovertemplate: "%{text}<br>%{x}<extra></extra>" });
    }
    if (incidents.length) {
      traces.push({ x: incidents.map(function (i) { return i.x0; }), y: incidents.map(function () { return 1; }),
        yaxis: "y2", mode: "markers", name: "incidents", showlegend: false, cliponaxis: false,
        marker: { symbol: "square", size: 8, color: BURNING },
        text: incidents.map(function (i) { return i.text; }),
        hovertemplate: "%{text}<br>from %{x}<extra></extra>" });
    }
    return { shapes: shapes, traces: traces };
  }

  function timeAxis(data) {
    return { type: "date", range: [data.range.start, data.range.end], automargin: true };
  }

  function overlay() { return { overlaying: "y", range: [0, 1], visible: false, fixedrange: true }; }

  function empty(el, text) { el.textContent = text; el.classList.add("chart-empty"); }

  function burndown(el, data) {
    var d = data.burndown;
    if (!d.x.length) { empty(el, "No data in this range."); return; }
    var m = marks(data);
    window.Plotly.newPlot(el, [
      { x: d.x, y: d.remaining, name: "budget left", mode: "lines", line: { color: "#1d4ed8" } },
      { x: d.x, y: d.ideal, name: "steady spend", mode: "lines", line: { dash: "dot", color: "#94a3b8" } }
    ].concat(m.traces), { margin: margin, xaxis: timeAxis(data), yaxis: { tickformat: ".0%", automargin: true },
         yaxis2: overlay(), legend: { orientation: "h", y: -0.25 },
         shapes: [{ type: "line", xref: "paper", x0: 0, x1: 1, y0: 0, y1: 0, line: { color: BURNING, width: 1 } }]
           .concat(m.shapes) }, config);
  }

  function burn(el, data) {
    var d = data.burn;
    var colors = ["#b91c1c", "#c2410c", "#a16207", "#4d7c0f", "#0e7490"];
    var shapes = d.thresholds.map(function (t, i) {
      return { type: "line", xref: "paper", x0: 0, x1: 1, y0: t.factor, y1: t.factor,
               line: { dash: "dash", width: 1, color: colors[i % colors.length] } };
    });
    // Labels in the right margin, beside the bars (never on them), at the y slo/charts.py spaced apart.
    var annotations = d.thresholds.map(function (t, i) {
      return { xref: "paper", x: 1, xanchor: "left", xshift: 4, y: t.label_y, yanchor: "middle", showarrow: false,
               text: t.label, font: { size: 10, color: colors[i % colors.length] },
               hovertext: t.name + ": " + t.factor + "× over " + t.long + " and " + t.short + " (" + t.severity + ")" };
    });
    // A window without traffic is a dash on the bar (its hover says "no data"): two "no data" side by side collide.
    var text = d.rates.map(function (r) { return r === null ? "–" : r.toFixed(2) + "×"; });
    var hover = d.rates.map(function (r) { return r === null ? "no data" : r.toFixed(4) + "×"; });
    window.Plotly.newPlot(el, [
      { type: "bar", x: d.windows, y: d.rates.map(function (r) { return r === null ? 0 : r; }), text: text,
        customdata: hover, textposition: "outside", cliponaxis: false, marker: { color: "#1d4ed8" },
        hovertemplate: "%{x}: %{customdata}<extra></extra>" }
    ], { margin: { t: 24, r: 76, b: 40, l: 55 }, xaxis: { automargin: true },
         yaxis: { title: { text: "burn rate (×)" }, range: [0, d.y_max], fixedrange: true },
         shapes: shapes, annotations: annotations }, config);
  }

  function sli(el, data) {
    var d = data.sli;
    if (!d.x.length) { empty(el, "No data in this range."); return; }
    var m = marks(data);
    var low = Math.min.apply(null, d.y.concat([data.target]));
    var pad = Math.max((1 - low) * 0.1, 0.0005);
    window.Plotly.newPlot(el, [
      { x: d.x, y: d.y, name: "SLI", mode: d.x.length > 1 ? "lines" : "markers", line: { color: "#15803d" } }
    ].concat(m.traces), { margin: margin, xaxis: timeAxis(data),
         yaxis: { tickformat: ".2%", range: [Math.max(0, low - pad), 1 + pad / 4], automargin: true },
         yaxis2: overlay(), showlegend: false,
         shapes: [{ type: "line", xref: "paper", x0: 0, x1: 1, y0: data.target, y1: data.target,
                    line: { dash: "dash", color: BURNING } }].concat(m.shapes),
         annotations: [{ xref: "paper", x: 0, y: data.target, xanchor: "left", yanchor: "bottom", showarrow: false,
                         text: "target " + (data.target * 100).toFixed(3) + "%", font: { size: 10, color: BURNING } }]
       }, config);
  }

  // Good and bad events per bucket, stacked (bad on top in red): the traffic behind the SLI.
  function events(el, data) {
    var d = data.events;
    if (!d.x.length) { empty(el, "No traffic in this range."); return; }
    var m = marks(data);
    window.Plotly.newPlot(el, [
      { type: "bar", x: d.x, y: d.good, name: "good " + d.unit, marker: { color: "#93c5fd" },
        hovertemplate: "%{y:,} good<extra></extra>" },
      { type: "bar", x: d.x, y: d.bad, name: "bad " + d.unit, marker: { color: BURNING },
        hovertemplate: "%{y:,} bad<extra></extra>" }
    ].concat(m.traces), { margin: margin, barmode: "stack", bargap: 0.1, xaxis: timeAxis(data),
         yaxis: { rangemode: "tozero", automargin: true }, yaxis2: overlay(),
         legend: { orientation: "h", y: -0.25 }, shapes: m.shapes }, config);
  }

  var draw = { burndown: burndown, burn: burn, sli: sli, events: events };

  function drawAll(root) {
    var source = document.getElementById("slo-charts");
    if (!source || !window.Plotly) { return; }
    var data = JSON.parse(source.textContent);
    root.querySelectorAll("[data-slo-chart]").forEach(function (el) {
      draw[el.getAttribute("data-slo-chart")](el, data);
    });
  }

  function resizeAll() {
    if (!window.Plotly) { return; }
    document.querySelectorAll("[data-slo-chart].js-plotly-plot").forEach(function (el) {
      window.Plotly.Plots.resize(el);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawAll(document);
    window.addEventListener("orientationchange", function () { window.setTimeout(resizeAll, 200); });
    document.body.addEventListener("htmx:beforeSwap", function (event) {
      if (event.detail.target.id !== "slo-detail" || !window.Plotly) { return; }
      event.detail.target.querySelectorAll(".js-plotly-plot").forEach(function (el) { window.Plotly.purge(el); });
    });
    document.body.addEventListener("htmx:afterSettle", function (event) {
      if (event.detail.target.id === "slo-detail") { drawAll(event.detail.target); }
    });
  });
})();
