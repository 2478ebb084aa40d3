// Alert rule pages: the editor's fields follow the rule's kind, labels and annotations are rows to add and remove,
// and "Backtest" sends the unsaved fields (or, on a rule's page, the saved rule) to POST /api/v1/rules/backtest and
// draws the answer (rules-chart.js). Without this script the editor still works: every field shows, one blank row
// per key/value list, and saving checks everything on the server.
(function () {
  "use strict";
  var TEXT = ["name", "group", "kind", "source", "expr", "log_service", "log_text", "log_pattern", "comparison"];
  var LISTS = ["log_levels", "log_group_by"];
  var DURATIONS = ["window_seconds", "for_seconds", "keep_firing_for_seconds"];
  var PAIRS = ["labels", "annotations"];
  var RANGES = { 3600: "1 hour", 21600: "6 hours", 86400: "24 hours", 604800: "7 days" };

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
    } catch (err) {
      var input = document.querySelector("input[name=csrfmiddlewaretoken]");
      return input ? input.value : "";
    }
  }

  function kindOf(form) {
    var select = form.querySelector("[name=kind]");
    return select ? select.value : "";
  }

  // Whether a field is used by the chosen kind (fields without data-kinds are used by every kind).
  function used(form, name) {
    var box = form.querySelector("[data-rule-field='" + name + "']");
    var kinds = box && box.getAttribute("data-kinds");
    return !kinds || kinds.split(" ").indexOf(kindOf(form)) !== -1;
  }

  function showKind(form) {
    var kind = kindOf(form);
    form.querySelectorAll("[data-kinds]").forEach(function (el) {
      el.hidden = el.getAttribute("data-kinds").split(" ").indexOf(kind) === -1;
    });
  }

  // The form as the API takes it: only the fields the kind uses; durations of only digits as seconds; a
  // threshold that is a number as a number (anything else is sent as typed, for the API to name).
  function collect(form) {
    var data = new FormData(form);
    var body = {};
    TEXT.forEach(function (name) { if (used(form, name) && data.has(name)) { body[name] = data.get(name); } });
    LISTS.forEach(function (name) { if (used(form, name)) { body[name] = data.getAll(name); } });
    DURATIONS.forEach(function (name) {
      var text = (data.get(name) || "").trim();
      if (text && used(form, name)) { body[name] = /^\d+$/.test(text) ? Number(text) : text; }
    });
    var threshold = (data.get("threshold") || "").trim();
    if (used(form, "threshold") && (threshold || kindOf(form) === "log_count")) {
      body.threshold = threshold !== "" && isFinite(Number(threshold)) ? Number(threshold) : threshold;
    }
    if (kindOf(form) !== "metric") { body.source = "local"; }  // log rules run on the product's log store
    PAIRS.forEach(function (name) {
      var keys = data.getAll(name + "-key");
      var values = data.getAll(name + "-value");
      var out = {};
      keys.forEach(function (key, i) {
        var value = values[i] || "";
        if (key.trim() || value.trim()) { out[key.trim()] = value; }
      });
      body[name] = out;
    });
    return body;
  }

  function clearErrors(form) {
    form.querySelectorAll("[data-js-error]").forEach(function (el) { el.remove(); });
    form.querySelectorAll(".js-has-error").forEach(function (el) { el.classList.remove("js-has-error", "has-error"); });
  }

  // A 400's field errors beside their fields; what names no field here is returned to show in the status line.
  function showErrors(form, fields) {
    var rest = [];
    Object.keys(fields || {}).forEach(function (key) {
      var name = key.split(/[.[]/)[0];
      var box = form && form.querySelector("[data-rule-field='" + name + "']");
      var messages = fields[key].join(" ");
      if (!box || box.hidden) { rest.push(key + ": " + messages); return; }
      box.classList.add("has-error", "js-has-error");
      var slot = box.querySelector("[data-field-errors]") || box;
      var p = document.createElement("p");
      p.className = "field-error";
      p.setAttribute("data-js-error", "");
      p.setAttribute("role", "alert");
      p.textContent = messages;
      slot.appendChild(p);
    });
    return rest;
  }

  function backtest(section) {
    var form = section.closest("form");
    var source = section.getAttribute("data-backtest-source");
    var status = section.querySelector("[data-backtest-status]");
    var chart = section.querySelector("[data-backtest-chart]");
    var pressed = section.querySelector("[data-range][aria-pressed=true]");
    var range = Number(pressed ? pressed.getAttribute("data-range") : 86400);
    var body = source ? JSON.parse(document.getElementById(source).textContent) : collect(form);
    // Both ends from one clock: the range is exactly 1 h, 6 h, … (so one evaluation a minute up to 24 h).
    var end = Date.now();
    body.start = new Date(end - range * 1000).toISOString();
    body.end = new Date(end).toISOString();
    if (form) { clearErrors(form); }
    section.setAttribute("aria-busy", "true");
    status.classList.remove("form-error");
    status.textContent = "Replaying the rule over the last " + RANGES[range] + "…";
    fetch(section.getAttribute("data-backtest-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (json) { return { ok: response.ok, json: json }; }, function () {
        return { ok: false, json: { error: { message: "The server answered " + response.status + ".", fields: {} } } };
      });
    }).then(function (result) {
      section.removeAttribute("aria-busy");
      if (!result.ok) {
        var error = result.json.error || { message: "The backtest failed.", fields: {} };
        var rest = showErrors(form, error.fields);
        chart.textContent = "";
        status.classList.add("form-error");
        status.textContent = rest.length || !Object.keys(error.fields || {}).length
          ? error.message : "Fix the fields marked below, then backtest again.";
        return;
      }
      window.RulesChart.draw(chart, result.json);
      status.textContent = window.RulesChart.summary(result.json, "the last " + RANGES[range]);
      if (result.json.error) { status.classList.add("form-error"); }
    }).catch(function () {
      section.removeAttribute("aria-busy");
      status.classList.add("form-error");
      status.textContent = "The backtest could not be run: the server did not answer.";
    });
  }

  function addRow(box) {
    var list = box.querySelector("[data-pair-list]");
    list.appendChild(box.querySelector("template[data-pair-template]").content.cloneNode(true));
    enhanceRows(box);
    return list.lastElementChild;
  }

  function enhanceRows(box) {
    box.querySelectorAll("[data-pair-add], [data-pair-remove]").forEach(function (el) { el.hidden = false; });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-rule-form]").forEach(showKind);
    document.querySelectorAll("[data-pairs]").forEach(enhanceRows);
    document.querySelectorAll("[data-backtest-auto]").forEach(backtest);
  });

  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-rule-form] [name=kind]")) { showKind(event.target.form); }
  });

  document.addEventListener("click", function (event) {
    var target = event.target;
    var add = target.closest("[data-pair-add]");
    if (add) {
      var row = addRow(add.closest("[data-pairs]"));
      row.querySelector("input").focus();
      return;
    }
    var remove = target.closest("[data-pair-remove]");
    if (remove) {
      var box = remove.closest("[data-pairs]");
      remove.closest("[data-pair]").remove();
      if (!box.querySelector("[data-pair]")) { addRow(box); }
      box.querySelector("[data-pair-add]").focus();
      return;
    }
    var range = target.closest("[data-range]");
    if (range) {
      var section = range.closest("[data-backtest]");
      section.querySelectorAll("[data-range]").forEach(function (b) {
        b.setAttribute("aria-pressed", b === range ? "true" : "false");
      });
      backtest(section);
      return;
    }
    var run = target.closest("[data-backtest-run]");
    if (run) { backtest(run.closest("[data-backtest]")); }
  });
})();
