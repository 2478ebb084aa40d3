// Incidents pages: viewer's time zone cookie, live elapsed time, keyboard shortcuts,
// auto-submitting selects, Ctrl+Enter / Ctrl+S in editors. Every page works without this file.
(function () {
  "use strict";
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && document.cookie.indexOf("tz=" + zone) === -1) {
      document.cookie = "tz=" + zone + ";path=/;max-age=31536000;SameSite=Lax";
    }
  } catch (e) { /* old browser: server time zone */ }

  function fmt(seconds) {
    seconds = Math.max(0, Math.round(seconds));
    var d = Math.floor(seconds / 86400), h = Math.floor(seconds % 86400 / 3600);
    var m = Math.floor(seconds % 3600 / 60), s = seconds % 60;
    var pad = function (n) { return n < 10 ? "0" + n : "" + n; };
    if (d) return d + "d " + h + "h";
    if (h) return h + "h " + pad(m) + "m";
    if (m) return m + "m " + pad(s) + "s";
    return s + "s";
  }

  function tick() {
    document.querySelectorAll(".elapsed[data-started]:not([data-ended])").forEach(function (el) {
      var start = Date.parse(el.getAttribute("data-started"));
      if (!isNaN(start)) el.textContent = fmt((Date.now() - start) / 1000) + " since start";
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 1000);
    document.querySelectorAll("[data-seconds]").forEach(function (el) {
      var v = el.getAttribute("data-seconds");
      el.textContent = v === "" ? "—" : fmt(parseFloat(v));
    });
  });

  document.addEventListener("change", function (event) {
    if (event.target.matches("select[data-autosubmit]")) event.target.form.submit();
  });

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var typing = target.closest("input, textarea, select, [contenteditable]");
    if (typing) {
      if ((event.ctrlKey || event.metaKey) && event.key === "Enter" && target.form) {
        event.preventDefault();
        target.form.requestSubmit();
      } else if ((event.ctrlKey || event.metaKey) && event.key === "s" && target.closest("#postmortem-form")) {
        event.preventDefault();
        target.form.requestSubmit();
      } else if (event.key === "Escape") {
        target.blur();
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var el = document.querySelector('[data-shortcut="' + event.key + '"]');
    if (!el) return;
    event.preventDefault();
    if (el.matches("a, button")) el.click(); else el.focus();
  });
})();
