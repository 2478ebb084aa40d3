// Public status page: Escape closes a day's details (the tooltip follows focus; this only helps keyboard users).
(function () {
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && document.activeElement && document.activeElement.classList.contains("sp-bar")) {
      document.activeElement.blur();
    }
  });
})();

// Status page admin: the 30 s refresh waits while someone edits an override (a form open or focused in it).
window.statusAdminPollOk = function () {
  var live = document.getElementById("status-live");
  if (!live) { return true; }
  if (live.querySelector("details[open]")) { return false; }
  return !(document.activeElement && live.contains(document.activeElement) && document.activeElement.matches("input, select, textarea"));
};

// Public page: times (<time data-local>, "Dec 6, 14:02 UTC" in the snapshot) in the reader's own zone, with
// the zone named; the UTC text stays when script is off and as the tooltip.
(function () {
  function localise() {
    var nodes = document.querySelectorAll("time[datetime][data-local]");
    Array.prototype.forEach.call(nodes, function (node) {
      var at = new Date(node.getAttribute("datetime"));
      if (isNaN(at.getTime())) { return; }
      node.setAttribute("title", node.textContent.trim());
      var options = { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false, timeZoneName: "short" };
      if (at.getFullYear() !== new Date().getFullYear()) { options.year = "numeric"; }
      node.textContent = at.toLocaleString(undefined, options);
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", localise); } else { localise(); }
})();
