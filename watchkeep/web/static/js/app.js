// What htmx does not: the theme toggle, times in the browser's timezone, copy buttons,
// confirmations, the live connection's indicator and its resumption from the last event.
(function () {
  "use strict";

  var THEME_KEY = "watchkeep-theme";

  function currentTheme() {
    var set = document.documentElement.dataset.theme;
    if (set) return set;
    return window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }

  function toggleTheme() {
    var next = currentTheme() === "dark" ? "light" : "dark";
    document.documentElement.dataset.theme = next;
    try {
      window.localStorage.setItem(THEME_KEY, next);
    } catch (e) {
      // not kept; the choice lasts for this page
    }
  }

  // Times: "3 min ago" / "in 5 min", the full local time on hover
  var UNITS = [
    ["day", 86400],
    ["h", 3600],
    ["min", 60],
    ["s", 1],
  ];

  function relative(date) {
    var seconds = Math.round((date.getTime() - Date.now()) / 1000);
    var size = Math.abs(seconds);
    if (size < 5) return "just now";
    for (var i = 0; i < UNITS.length; i++) {
      if (size >= UNITS[i][1] || UNITS[i][1] === 1) {
        var n = Math.floor(size / UNITS[i][1]);
        var unit = UNITS[i][0] + (UNITS[i][0] === "day" && n !== 1 ? "s" : "");
        return seconds < 0 ? n + " " + unit + " ago" : "in " + n + " " + unit;
      }
    }
    return date.toLocaleString();
  }

  function renderTimes(root) {
    var times = (root || document).querySelectorAll("time[data-relative]");
    for (var i = 0; i < times.length; i++) {
      var date = new Date(times[i].getAttribute("datetime"));
      if (isNaN(date.getTime())) continue;
      times[i].textContent = relative(date);
      times[i].title = date.toLocaleString();
    }
  }

  function copy(button) {
    var target = document.querySelector(button.dataset.copy);
    if (!target || !navigator.clipboard) return;
    navigator.clipboard.writeText(target.textContent.trim()).then(function () {
      var label = button.textContent;
      button.textContent = "Copied";
      window.setTimeout(function () {
        button.textContent = label;
      }, 1500);
    });
  }

  // The heartbeat form shows the fields of the chosen schedule kind only
  function showKind(form) {
    var checked = form.querySelector("input[name=kind]:checked");
    if (!checked) return;
    var parts = form.querySelectorAll("[data-kind]");
    for (var i = 0; i < parts.length; i++) {
      parts[i].hidden = parts[i].dataset.kind !== checked.value;
    }
  }

  // Live: one EventSource per page (htmx's SSE extension); when it is opened again after a
  // failure, it resumes after the last event seen, and the live regions refresh themselves.
  var lastEventId = null;
  var failed = false;

  function setLive(state, label) {
    var live = document.getElementById("live");
    if (!live) return;
    live.dataset.state = state;
    live.querySelector(".label").textContent = label;
  }

  if (window.htmx) {
    var create = window.htmx.createEventSource;
    window.htmx.createEventSource = function (url) {
      if (lastEventId) {
        url += (url.indexOf("?") < 0 ? "?" : "&") + "lastEventId=" + encodeURIComponent(lastEventId);
      }
      return create ? create(url) : new EventSource(url, { withCredentials: true });
    };
  }

  document.addEventListener("htmx:sseOpen", function () {
    setLive("live", "Live");
    if (failed) {
      failed = false;
      document.body.dispatchEvent(new CustomEvent("wk-resync"));
    }
  });
  document.addEventListener("htmx:sseError", function () {
    failed = true;
    setLive("offline", "Reconnecting");
  });
  document.addEventListener("htmx:sseMessage", function (event) {
    if (event.detail && event.detail.lastEventId) lastEventId = event.detail.lastEventId;
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    renderTimes(event.target);
  });

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) return;
    if (target.id === "theme-toggle") toggleTheme();
    if (target.matches("button.copy")) copy(target);
  });
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLInputElement && target.name === "kind" && target.form) showKind(target.form);
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    renderTimes(document);
    var forms = document.querySelectorAll("form");
    for (var i = 0; i < forms.length; i++) showKind(forms[i]);
    window.setInterval(function () {
      renderTimes(document);
    }, 15000);
  });
})();
