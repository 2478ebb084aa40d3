// RTO and RPO of the last drills against their targets (plotly, vendored in static/vendor).
(function () {
  "use strict";
  function minutes(seconds) { return seconds === null ? null : seconds / 60; }
  function draw(el) {
    var data = JSON.parse(document.getElementById(el.getAttribute("data-drill-trend")).textContent);
    var x = data.map(function (d) { return d.finished_at; });
    var text = data.map(function (d) { return "#" + d.run + " " + d.status; });
    var traces = [
      { x: x, y: data.map(function (d) { return minutes(d.rto); }), name: "RTO achieved", mode: "lines+markers", text: text,
        marker: { color: data.map(function (d) { return d.status === "passed" ? "#15803d" : "#b91c1c"; }) } },
      { x: x, y: data.map(function (d) { return minutes(d.rto_target); }), name: "RTO target", mode: "lines", line: { dash: "dash" } },
      { x: x, y: data.map(function (d) { return minutes(d.rpo); }), name: "RPO achieved", mode: "lines+markers", text: text },
      { x: x, y: data.map(function (d) { return minutes(d.rpo_target); }), name: "RPO target", mode: "lines", line: { dash: "dot" } }
    ];
    var layout = { margin: { t: 10, r: 10, b: 40, l: 50 }, yaxis: { title: "minutes", type: "log" }, legend: { orientation: "h" } };
    window.Plotly.newPlot(el, traces, layout, { displaylogo: false, responsive: true });
  }
  document.addEventListener("DOMContentLoaded", function () {
    if (!window.Plotly) { return; }
    document.querySelectorAll("[data-drill-trend]").forEach(draw);
  });
})();
