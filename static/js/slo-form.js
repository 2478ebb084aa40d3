// SLO form: show only the SLI fields of the chosen kind and the window fields of the chosen window; the burn
// policy's rows can be added and removed (without script the form renders two blank rows, and emptying a row
// removes it); selector fields suggest metric names, label names and label values from the stored series
// (GET /slos/suggest/, a datalist per field).
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
    var shown = {};
    (groups[name][select.value] || []).forEach(function (field) { shown[field] = true; });
    Object.keys(groups[name]).forEach(function (value) {
      groups[name][value].forEach(function (field) {
        var box = form.querySelector("[data-slo-field=" + field + "]");
        if (box) { box.hidden = !shown[field]; }
      });
    });
  }

  // --- the policy table ---------------------------------------------------------------------------------------
  function rowIndex(row) {
    var input = row.querySelector("[name^=policy-]");
    return input ? parseInt(input.name.split("-")[1], 10) : 0;
  }
  function renumber(body) {
    body.querySelectorAll("[data-policy-row]").forEach(function (row, i) {
      row.querySelectorAll("[aria-label]").forEach(function (el) {
        el.setAttribute("aria-label", el.getAttribute("aria-label").replace(/row \d+$/, "row " + (i + 1)));
      });
    });
  }
  function setupPolicy(form) {
    var body = form.querySelector("[data-policy-body]");
    var add = form.querySelector("[data-policy-add]");
    if (!body || !add) { return; }
    add.hidden = false;
    form.querySelectorAll("[data-policy-remove]").forEach(function (b) { b.hidden = false; });
    add.addEventListener("click", function () {
      var rows = body.querySelectorAll("[data-policy-row]");
      var last = rows[rows.length - 1];
      var next = 0;
      rows.forEach(function (row) { next = Math.max(next, rowIndex(row) + 1); });
      var copy = last.cloneNode(true);
      copy.querySelectorAll(".field-error").forEach(function (e) { e.remove(); });
      copy.querySelectorAll("input, select").forEach(function (el) {
        el.name = el.name.replace(/^policy-\d+-/, "policy-" + next + "-");
        if (el.tagName === "SELECT") { el.selectedIndex = 0; } else { el.value = ""; }
      });
      body.appendChild(copy);
      renumber(body);
      copy.querySelector("input[name$=long_window]").focus();
    });
    body.addEventListener("click", function (event) {
      var remove = event.target.closest("[data-policy-remove]");
      if (!remove) { return; }
      var row = remove.closest("[data-policy-row]");
      if (body.querySelectorAll("[data-policy-row]").length > 1) {
        row.remove();
        renumber(body);
        add.focus();
      } else {
        row.querySelectorAll("input").forEach(function (el) { el.value = ""; });
      }
    });
  }

  // --- selector suggestions ----------------------------------------------------------------------------------
  // What is being typed at the end of a selector: a metric name, a label name, or a label's value.
  function parse(text) {
    var brace = text.indexOf("{");
    if (brace < 0) { return { kind: "metric", q: text.trim(), head: "", tail: "" }; }
    var metric = text.slice(0, brace).trim();
    var inside = text.slice(brace + 1);
    var cut = Math.max(inside.lastIndexOf(","), -1);
    var seg = inside.slice(cut + 1);
    var head = text.slice(0, brace + 1 + cut + 1);
    var op = seg.match(/^(\s*)([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"?(.*)$/);
    if (op) {
      var start = seg.length - op[4].length;
      return { kind: "value", metric: metric, label: op[2], q: op[4], head: head + seg.slice(0, start).replace(/"?$/, "\""), tail: "\"" };
    }
    return { kind: "label", metric: metric, q: seg.trim(), head: head + (seg.match(/^\s*/)[0]), tail: "=\"" };
  }
  function setupSuggest(form) {
    var url = form.getAttribute("data-suggest-url");
    if (!url || !window.fetch) { return; }
    form.querySelectorAll("[data-suggest]").forEach(function (input) {
      var list = document.createElement("datalist");
      list.id = "suggest-" + input.id;
      input.parentNode.appendChild(list);
      input.setAttribute("list", list.id);
      var timer = null, asked = "";
      input.addEventListener("input", function () {
        window.clearTimeout(timer);
        timer = window.setTimeout(function () {
          var p = parse(input.value);
          if (p.kind !== "metric" && !p.metric) { return; }
          var params = new URLSearchParams({ kind: p.kind, q: p.q, limit: "20" });
          if (p.metric) { params.set("metric", p.metric); }
          if (p.label) { params.set("label", p.label); }
          var key = params.toString();
          if (key === asked) { return; }
          asked = key;
          window.fetch(url + "?" + key, { credentials: "same-origin", headers: { Accept: "application/json" } })
            .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
            .then(function (answer) {
              list.textContent = "";
              (answer.suggestions || []).forEach(function (s) {
                var option = document.createElement("option");
                option.value = p.kind === "metric" ? s : p.head + s + p.tail;
                list.appendChild(option);
              });
            }, function () {});
        }, 200);
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
    setupPolicy(form);
    setupSuggest(form);
  });
})();
