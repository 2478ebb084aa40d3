// Heartbeats: the run-duration chart of a check (plotly, vendored in static/vendor) and, on the check form, the
// period or cron fields shown for the chosen schedule kind. Every page works without it.
(function () {
  "use strict";
  var COLORS = { success: "#15803d", fail: "#b91c1c", late: "#c2410c" };

  function draw(el) {
    var data = JSON.parse(document.getElementById(el.getAttribute("data-hb-chart")).textContent);
    var points = data.points;
    function trace(name, keep, color, symbol, mode) {
      var chosen = points.filter(keep);
      return {
        x: chosen.map(function (p) { return p.at; }),
        y: chosen.map(function (p) { return p.duration === null ? 0 : p.duration; }),
        text: chosen.map(function (p) {
          return "#" + p.n + " " + p.kind + (p.late ? " (late)" : "") + (p.duration === null ? ", no duration" : "");
        }),
        name: name, mode: mode, type: "scatter",
        marker: { color: color, symbol: symbol, size: 9 }, line: { color: color },
        hovertemplate: "%{text}<br>%{x}<br>%{y:.1f} s<extra></extra>"
      };
    }
    var traces = [
      trace("run duration (success)", function (p) { return p.kind === "success" && p.duration !== null; },
            COLORS.success, "circle", "lines+markers"),
      trace("success (no duration)", function (p) { return p.kind === "success" && p.duration === null && !p.late; },
            COLORS.success, "circle-open", "markers"),
      trace("failed", function (p) { return p.kind === "fail"; }, COLORS.fail, "x", "markers"),
      trace("late", function (p) { return p.late; }, COLORS.late, "diamond-open", "markers")
    ].filter(function (t) { return t.x.length; });
    var layout = { margin: { t: 10, r: 10, b: 40, l: 55 }, legend: { orientation: "h" },
                   yaxis: { title: "seconds", rangemode: "tozero" } };
    window.Plotly.newPlot(el, traces, layout, { displaylogo: false, responsive: true });
  }

  function kindFields(form) {
    var checked = form.querySelector("input[name=schedule_kind]:checked");
    var kind = checked ? checked.value : "period";
    form.querySelectorAll("[data-hb-kind]").forEach(function (field) {
      field.hidden = field.getAttribute("data-hb-kind") !== kind;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (window.Plotly) { document.querySelectorAll("[data-hb-chart]").forEach(draw); }
    document.querySelectorAll("form[data-hb-form]").forEach(function (form) {
      kindFields(form);
      form.addEventListener("change", function (event) {
        if (event.target.name === "schedule_kind") { kindFields(form); }
      });
    });
  });
})();
