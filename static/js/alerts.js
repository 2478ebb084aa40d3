// The alert list's bulk bar: "All shown", a live count of the chosen groups, and no live refresh while groups are
// chosen or the silence fields are open (a refresh would redraw the cards and drop the ticks).
(function () {
  "use strict";
  var PICKS = 'input[type=checkbox][form="bulk"]';
  function picks() { return Array.prototype.slice.call(document.querySelectorAll(PICKS)); }
  function update() {
    var count = document.querySelector("[data-bulk-count]");
    var all = document.querySelector("[data-bulk-all]");
    if (!count) { return; }
    var boxes = picks();
    var chosen = boxes.filter(function (box) { return box.checked; }).length;
    count.textContent = chosen ? chosen + " chosen" : "Tick groups to act on several at once.";
    if (all) {
      all.checked = boxes.length > 0 && chosen === boxes.length;
      all.indeterminate = chosen > 0 && chosen < boxes.length;
    }
  }
  window.alertsPollAllowed = function () {
    var silence = document.querySelector(".bulk-silence[open]");
    return !silence && !picks().some(function (box) { return box.checked; });
  };
  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-bulk-all]")) {
      picks().forEach(function (box) { box.checked = event.target.checked; });
    }
    if (event.target.matches("[data-bulk-all], " + PICKS)) { update(); }
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.id === "bulk" && !picks().some(function (box) { return box.checked; })) {
      event.preventDefault();
      var count = document.querySelector("[data-bulk-count]");
      if (count) { count.textContent = "Tick at least one group first."; }
    }
  });
  document.addEventListener("htmx:load", update);
  update();
  // The filters stay folded on a phone (the list comes first) and open on a wide screen.
  var filters = document.querySelector("details[data-filters]");
  if (filters && window.matchMedia("(min-width: 900px)").matches) { filters.open = true; }
})();
