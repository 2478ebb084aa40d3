// SLO detail charts (plotly, vendored in static/vendor): budget burn-down, burn rate per window with the
// policy thresholds drawn, and the SLI per hour against the target. Data comes from json_script.
(function () {
  "use strict";
  var config = { displaylogo: false, responsive: true };
  var margin = { t: 10, r: 10, b: 40, l: 55 };

  // Deployments of the service in the window (releases.selectors.release_markers): a dotted line and the version
  // on the time charts, red for a release whose burn fired ReleaseBurn.
  function releaseMarks(data) {
    var marks = data.releases || [];
    var color = function (m) { return m.state === "burning" || m.state === "burned" ? "#b91c1c" : "#6b7280"; };
    return {
      shapes: marks.map(function (m) {
        return { type: "line", xref: "x", yref: "paper", x0: m.x, x1: m.x, y0: 0, y1: 1,
                 line: { dash: "dot", width: 1, color: color(m) } };
      }),
      annotations: marks.map(function (m) {
        return { xref: "x", yref: "paper", x: m.x, y: 1, yanchor: "bottom", showarrow: false, textangle: -30,
                 text: m.version, font: { size: 9, color: color(m) } };
      })
    };
  }

  function burndown(el, data) {
    var d = data.burndown;
    if (!d.x.length) { el.textContent = "No data in the window."; return; }
    window.Plotly.newPlot(el, [
      { x: d.x, y: d.remaining, name: "budget remaining", mode: "lines", line: { color: "#1d4ed8" } },
      { x: d.x, y: d.ideal, name: "steady spend", mode: "lines", line: { dash: "dot", color: "#94a3b8" } }
    ], { margin: margin, yaxis: { tickformat: ".0%", title: "remaining" }, legend: { orientation: "h" },
         shapes: [{ type: "line", xref: "paper", x0: 0, x1: 1, y0: 0, y1: 0, line: { color: "#b91c1c", width: 1 } }]
           .concat(releaseMarks(data).shapes), annotations: releaseMarks(data).annotations }, config);
  }

  function burn(el, data) {
    var d = data.burn;
    var colors = ["#b91c1c", "#c2410c", "#a16207", "#4d7c0f", "#0e7490"];
    var shapes = d.thresholds.map(function (t, i) {
      return { type: "line", xref: "paper", x0: 0, x1: 1, y0: t.factor, y1: t.factor,
               line: { dash: "dash", width: 1, color: colors[i % colors.length] } };
    });
    var annotations = d.thresholds.map(function (t, i) {
      return { xref: "paper", x: 1 - i * 0.34, y: t.factor, xanchor: "right", yanchor: "bottom", showarrow: false,
               text: t.name + " " + t.factor + "× (" + t.long + " & " + t.short + ", " + t.severity + ")",
               font: { size: 10, color: colors[i % colors.length] } };
    });
    var text = d.rates.map(function (r) { return r === null ? "no data" : r.toFixed(2) + "×"; });
    window.Plotly.newPlot(el, [
      { type: "bar", x: d.windows, y: d.rates.map(function (r) { return r === null ? 0 : r; }), text: text,
        textposition: "auto", marker: { color: "#1d4ed8" }, hovertemplate: "%{x}: %{text}<extra></extra>" }
    ], { margin: margin, yaxis: { title: "burn rate (×)", rangemode: "tozero" }, shapes: shapes, annotations: annotations }, config);
  }

  function sli(el, data) {
    var d = data.sli;
    if (!d.x.length) { el.textContent = "No data in the window."; return; }
    window.Plotly.newPlot(el, [
      { x: d.x, y: d.y, name: "SLI (hourly)", mode: "lines", line: { color: "#15803d" } }
    ], { margin: margin, yaxis: { tickformat: ".2%" }, legend: { orientation: "h" },
         shapes: [{ type: "line", xref: "paper", x0: 0, x1: 1, y0: data.target, y1: data.target, line: { dash: "dash", color: "#b91c1c" } }]
           .concat(releaseMarks(data).shapes),
         annotations: [{ xref: "paper", x: 0, y: data.target, xanchor: "left", yanchor: "bottom", showarrow: false,
                         text: "target " + (data.target * 100).toFixed(3) + "%", font: { size: 10, color: "#b91c1c" } }]
           .concat(releaseMarks(data).annotations) }, config);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var source = document.getElementById("slo-charts");
    if (!source || !window.Plotly) { return; }
    var data = JSON.parse(source.textContent);
    var draw = { burndown: burndown, burn: burn, sli: sli };
    document.querySelectorAll("[data-slo-chart]").forEach(function (el) {
      draw[el.getAttribute("data-slo-chart")](el, data);
    });
  });
})();
