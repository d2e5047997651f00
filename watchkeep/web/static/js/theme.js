// Runs before the page paints: the theme a person picked (kept in localStorage) wins over
// the system's light or dark preference.
(function () {
  "use strict";
  try {
    var chosen = window.localStorage.getItem("watchkeep-theme");
    if (chosen === "light" || chosen === "dark") {
      document.documentElement.dataset.theme = chosen;
    }
  } catch (e) {
    // storage may be unavailable (private mode); the system preference applies
  }
})();
