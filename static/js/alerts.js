// Alerts pages: confirmation on destructive forms (data-confirm). Live refresh is htmx polling on the
// groups table, paused by the "Live refresh" checkbox. Everything works without this file.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  }, true);
})();
