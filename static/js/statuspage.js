// Public status page: Escape closes a day's details (the tooltip follows focus; this only helps keyboard users).
(function () {
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && document.activeElement && document.activeElement.classList.contains("sp-bar")) {
      document.activeElement.blur();
    }
  });
})();
