// Insights charts (plotly, vendored): counts by severity, MTTA/MTTM/MTTR per month, MTTR by severity/service.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var node = document.getElementById("insights-data");
    if (!node || !window.Plotly) return;
    var data = JSON.parse(node.textContent);
    var months = data.months;
    // Axis labels never clipped: margins grow to fit the tick and axis labels (automargin), months as
    // "Nov 2026", one tick every three months and slanted labels when the chart is narrow (a phone, or
    // a grid cell), the legend under the plot.
    var layout = function (id, ytitle) {
      var el = document.getElementById(id);
      var narrow = !el || el.clientWidth < 520;
      return {
        margin: { t: 10, r: 10, b: 10, l: 10 }, height: 300,
        font: { size: narrow ? 11 : 12 },
        xaxis: { type: "date", tickformat: "%b %Y", dtick: narrow ? "M3" : "M1", automargin: true,
                 tickangle: narrow ? -30 : "auto" },
        yaxis: { title: { text: ytitle, standoff: 6 }, rangemode: "tozero", automargin: true },
        legend: { orientation: "h", y: -0.3, yanchor: "top" }, barmode: "stack"
      };
    };
    var config = { displayModeBar: false, responsive: true };
    var minutes = function (s) { return s === null || s === undefined ? null : s / 60; };
    var cell = function (table, month, key, field) {
      var row = (table[month] || {})[key];
      return row ? row[field] : null;
    };
    var keysOf = function (table) {
      var keys = {};
      Object.keys(table).forEach(function (m) { Object.keys(table[m]).forEach(function (k) { keys[k] = true; }); });
      return Object.keys(keys).sort();
    };
    var sevs = keysOf(data.by_severity);
    Plotly.newPlot("chart-counts", sevs.map(function (k) {
      return { type: "bar", name: data.severities[k] || k, x: months,
               y: months.map(function (m) { return cell(data.by_severity, m, k, "count") || 0; }) };
    }), layout("chart-counts", "incidents"), config);
    Plotly.newPlot("chart-times", [["mtta_seconds", "MTTA"], ["mttm_seconds", "MTTM"], ["mttr_seconds", "MTTR"]].map(function (p) {
      return { type: "scatter", mode: "lines+markers", name: p[1], x: months, connectgaps: false,
               y: months.map(function (m) { return minutes(cell(data.overall, m, "all", p[0])); }) };
    }), Object.assign(layout("chart-times", "minutes"), { barmode: undefined }), config);
    Plotly.newPlot("chart-severity", sevs.map(function (k) {
      return { type: "bar", name: data.severities[k] || k, x: months,
               y: months.map(function (m) { return minutes(cell(data.by_severity, m, k, "mttr_seconds")); }) };
    }), Object.assign(layout("chart-severity", "minutes"), { barmode: "group" }), config);
    var services = keysOf(data.by_service);
    Plotly.newPlot("chart-service", services.map(function (k) {
      return { type: "bar", name: k, x: months,
               y: months.map(function (m) { return minutes(cell(data.by_service, m, k, "mttr_seconds")); }) };
    }), Object.assign(layout("chart-service", "minutes"), { barmode: "group" }), config);
  });
})();
