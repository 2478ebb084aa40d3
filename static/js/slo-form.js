// SLO form: show only the SLI fields of the chosen kind and the window fields of the chosen window.
(function () {
  "use strict";
  var groups = {
    sli_kind: {
      ratio: ["ratio_numerator", "ratio_numerator_selector", "ratio_total_selector"],
      promql: ["promql_numerator", "promql_numerator_query", "promql_total_query"],
      log: ["log_service", "log_bad_query", "log_bad_levels"],
      latency: ["latency_selector", "latency_threshold"]
    },
    window_kind: { rolling: ["window_days"], calendar: ["calendar_unit", "timezone"] },
    budgeting_method: { Occurrences: [], Timeslices: ["timeslice_target"] }
  };
  function apply(form, name) {
    var select = form.querySelector("[name=" + name + "]");
    if (!select) { return; }
    Object.keys(groups[name]).forEach(function (value) {
      groups[name][value].forEach(function (field) {
        var box = form.querySelector("[data-slo-field=" + field + "]");
        if (box) { box.hidden = select.value !== value; }
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("slo-form");
    if (!form) { return; }
    Object.keys(groups).forEach(function (name) {
      apply(form, name);
      var select = form.querySelector("[name=" + name + "]");
      if (select) { select.addEventListener("change", function () { apply(form, name); }); }
    });
  });
})();
