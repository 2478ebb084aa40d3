// Logs page: the histogram by level (plotly) and the live tail that pauses while the user scrolls.
(function () {
  "use strict";
  var COLORS = { debug: "#9ca3af", info: "#2563eb", warning: "#d97706", error: "#dc2626", critical: "#7f1d1d" };
  var paused = false;

  function state() {
    var toggle = document.getElementById("tail-toggle");
    var pill = document.getElementById("tail-state");
    if (!pill) return;
    var on = toggle && toggle.checked;
    if (!on) { pill.textContent = "off"; pill.className = "pill small"; }
    else if (paused) { pill.textContent = "paused while scrolled (scroll to top to resume)"; pill.className = "pill warn small"; }
    else { pill.textContent = "live"; pill.className = "pill ok small"; }
  }

  window.sreTailLive = function () {
    var toggle = document.getElementById("tail-toggle");
    return !!(toggle && toggle.checked && !paused && !document.hidden);
  };

  window.addEventListener("scroll", function () {
    var now = window.scrollY > 40;
    if (now !== paused) { paused = now; state(); }
  }, { passive: true });

  document.addEventListener("change", function (event) {
    if (event.target && event.target.id === "tail-toggle") state();
  });

  function histogram() {
    var holder = document.getElementById("log-histogram");
    var source = document.getElementById("log-histogram-data");
    if (!holder || !source || !window.Plotly) return;
    var data = JSON.parse(source.textContent);
    if (!data || !data.traces.length) { holder.textContent = "No lines in this range."; holder.className = "muted"; return; }
    var traces = data.traces.map(function (t) {
      return { type: "bar", name: t.name, x: t.x, y: t.y, marker: { color: COLORS[t.name] || "#6b7280" } };
    });
    window.Plotly.newPlot(holder, traces, {
      barmode: "stack", height: 220, margin: { l: 40, r: 10, t: 10, b: 30 },
      legend: { orientation: "h" }, xaxis: { type: "date" }, yaxis: { title: { text: "lines" } }
    }, { displaylogo: false, responsive: true });
  }

  document.addEventListener("DOMContentLoaded", function () { histogram(); state(); });
})();
