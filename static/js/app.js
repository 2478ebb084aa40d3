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
})();
