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
