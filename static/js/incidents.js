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

  // As the server says it (sre.domain.timewords.duration_words): the two largest units, to the nearest second,
  // stopping at a gap ("1 h 5 min", "2 d 3 h", "1 h", "42 s").
  var UNITS = [[86400, "d"], [3600, "h"], [60, "min"], [1, "s"]];
  function fmt(seconds) {
    var rest = Math.max(0, Math.round(seconds)), out = [];
    for (var i = 0; i < UNITS.length && out.length < 2; i++) {
      var count = Math.floor(rest / UNITS[i][0]);
      rest -= count * UNITS[i][0];
      if (count) out.push(count + " " + UNITS[i][1]);
      else if (out.length) break;
    }
    return out.join(" ") || "0 s";
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
