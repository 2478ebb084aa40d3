// On call editors: ordered rows of a Django formset (add, remove, move up/down) and step fields shown by
// kind. Without this script every row and field is still there: one blank row to fill and a Remove box.
(function () {
  "use strict";

  function renumber(box) {
    var prefix = box.getAttribute("data-rows");
    var pattern = new RegExp("^(id_)?" + prefix + "-(\\d+|__prefix__)-");
    var rows = box.querySelectorAll("[data-row-list] > [data-row]");
    rows.forEach(function (row, index) {
      row.querySelectorAll("[name], [id], [for]").forEach(function (el) {
        ["name", "id", "for"].forEach(function (attr) {
          var value = el.getAttribute(attr);
          if (value) { el.setAttribute(attr, value.replace(pattern, "$1" + prefix + "-" + index + "-")); }
        });
      });
    });
    box.querySelector("input[name='" + prefix + "-TOTAL_FORMS']").value = rows.length;
    // Rows are no longer "initial" once moved or removed: a blank row anywhere is then simply skipped.
    box.querySelector("input[name='" + prefix + "-INITIAL_FORMS']").value = 0;
  }

  function showKindFields(row) {
    var kind = row.querySelector("select[name$='-kind']");
    if (!kind) { return; }
    row.querySelectorAll("[data-kinds]").forEach(function (el) {
      var cell = el.closest(".oc-cell");
      var wanted = el.getAttribute("data-kinds").split(" ").indexOf(kind.value) !== -1;
      if (cell) { cell.hidden = !wanted; }
    });
  }

  function enhance(box) {
    box.querySelectorAll("[data-row-add], [data-row-up], [data-row-down], [data-row-remove]").forEach(function (el) {
      el.hidden = false;
    });
    box.querySelectorAll("[data-row-delete]").forEach(function (el) { el.hidden = true; });
    box.querySelectorAll("[data-row]").forEach(showKindFields);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-rows]").forEach(enhance);
    // Read-only step rows (viewers) still show only the fields their kind uses.
    document.querySelectorAll("[data-row]").forEach(showKindFields);
  });

  document.addEventListener("change", function (event) {
    if (event.target.matches("select[name$='-kind']")) {
      var row = event.target.closest("[data-row]");
      if (row) { showKindFields(row); }
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-row-add], [data-row-up], [data-row-down], [data-row-remove]");
    if (!button) { return; }
    var box = button.closest("[data-rows]");
    var list = box.querySelector("[data-row-list]");
    var row = button.closest("[data-row]");
    if (button.hasAttribute("data-row-add")) {
      var template = box.querySelector("template[data-row-template]");
      list.appendChild(template.content.cloneNode(true));
      row = list.lastElementChild;
      enhance(box);
      renumber(box);
      var first = row.querySelector("select, input:not([type=hidden])");
      if (first) { first.focus(); }
      return;
    }
    if (button.hasAttribute("data-row-remove")) {
      row.remove();
    } else if (button.hasAttribute("data-row-up") && row.previousElementSibling) {
      list.insertBefore(row, row.previousElementSibling);
      button.focus();
    } else if (button.hasAttribute("data-row-down") && row.nextElementSibling) {
      list.insertBefore(row.nextElementSibling, row);
      button.focus();
    }
    renumber(box);
  });
})();
