// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  // Destructive actions ask first: a button with data-confirm asks when clicked, a form with data-confirm when
  // submitted (unless the button that submits it has asked already). Cancelling sends nothing.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-confirm], input[data-confirm], a[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-confirm]");
    var asked = event.submitter && event.submitter.hasAttribute("data-confirm");
    if (form && !asked && !window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  }, true);
  // Positions computed on the server (timeline bars, route indents) come as data-pos-* attributes and are set
  // through the CSSOM: the Content-Security-Policy refuses style="" attributes, not style set from script.
  var POSITIONS = [["data-pos-left", "left"], ["data-pos-width", "width"], ["data-pos-indent", "paddingLeft"]];
  function place(root) {
    POSITIONS.forEach(function (pair) {
      var selector = "[" + pair[0] + "]";
      var nodes = Array.prototype.slice.call(root.querySelectorAll ? root.querySelectorAll(selector) : []);
      if (root.matches && root.matches(selector)) { nodes.push(root); }
      nodes.forEach(function (node) { node.style[pair[1]] = node.getAttribute(pair[0]); });
    });
  }
  place(document);
  // Polling (hx-trigger="every …") pauses while its condition is false: data-poll-toggle names a checkbox (absent
  // counts as on), data-poll-when a global function. htmx's own "[filter]" needs eval, which the CSP refuses.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    var toggle = elt.getAttribute("data-poll-toggle");
    var box = toggle && document.querySelector(toggle);
    var when = elt.getAttribute("data-poll-when");
    if ((box && !box.checked) || (when && !(typeof window[when] === "function" && window[when]()))) {
      event.preventDefault();
    }
  });
  document.addEventListener("htmx:load", function (event) { place(event.target); });
  // <time data-local> (sre_time's |when) shows the viewer's zone; |ago's tooltip likewise. The server's UTC text stays
  // when script is off.
  var DATE = { year: "numeric", month: "short", day: "numeric" };
  var DATETIME = { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false };
  function localise(root) {
    var nodes = root.querySelectorAll ? root.querySelectorAll("time[datetime]") : [];
    Array.prototype.forEach.call(nodes, function (node) {
      var text = node.getAttribute("datetime");
      if (text.indexOf("T") < 0) { return; }  // a calendar date (|when of a date): no zone to convert it to
      var at = new Date(text);
      if (isNaN(at.getTime())) { return; }
      var full = at.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "long" });
      node.setAttribute("title", full);
      var style = node.getAttribute("data-local");
      if (style === "date") {
        node.textContent = at.toLocaleDateString(undefined, DATE);
      } else if (style) {
        var options = Object.assign({}, DATETIME);
        if (at.getFullYear() !== new Date().getFullYear()) { options.year = "numeric"; }
        node.textContent = at.toLocaleString(undefined, options);
      }
    });
  }
  localise(document);
  document.addEventListener("htmx:load", function (event) { localise(event.target); });
  // <input data-viewer-zone> (hidden) carries the viewer's IANA zone, so the server reads date-time fields in it.
  Array.prototype.forEach.call(document.querySelectorAll("input[data-viewer-zone]"), function (input) {
    try { input.value = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { input.value = ""; }
  });
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-nav-toggle]");
    if (toggle) {
      var nav = document.getElementById(toggle.getAttribute("aria-controls"));
      var open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      return;
    }
    var copy = event.target.closest("[data-copy]");
    if (copy) {
      var input = document.querySelector(copy.getAttribute("data-copy"));
      input.select();
      if (navigator.clipboard) {
        navigator.clipboard.writeText(input.value).then(function () { copy.textContent = "Copied"; }, function () {});
      }
    }
  });

  // Phone-width cards: a <td> of a table.cards without its own data-label takes its column's header text.
  function label(root) {
    var tables = root.querySelectorAll ? root.querySelectorAll("table.cards") : [];
    Array.prototype.forEach.call(tables, function (table) {
      var heads = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) { return th.textContent.trim(); });
      Array.prototype.forEach.call(table.querySelectorAll("tbody tr"), function (row) {
        Array.prototype.forEach.call(row.children, function (cell, i) {
          if (cell.tagName === "TD" && !cell.hasAttribute("data-label") && heads[i] && heads[i] !== "Actions") {
            cell.setAttribute("data-label", heads[i]);
          }
        });
      });
    });
  }
  label(document);
  document.addEventListener("htmx:load", function (event) { label(event.target); });
})();
