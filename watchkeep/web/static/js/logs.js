// The container page's live logs: the stream's last lines, then each new one; pause keeps
// what arrives meanwhile and shows it on resume; the filter hides lines without its text.
(function () {
  "use strict";

  var MAX_LINES = 2000;

  function start(panel) {
    var view = panel.querySelector("#log-lines");
    var filter = panel.querySelector("#log-filter");
    var pause = panel.querySelector("#log-pause");
    var status = panel.querySelector("#log-status");
    var paused = false;
    var held = [];
    var seen = new Set();
    var source = null;

    function say(state, text) {
      status.dataset.state = state;
      status.textContent = text;
    }

    function matches(row) {
      var wanted = filter.value.trim().toLowerCase();
      return !wanted || row.dataset.text.indexOf(wanted) !== -1;
    }

    function show(line) {
      // An engine stream has no ids: a reconnect sends its last lines again.
      var key = line.at + "|" + line.stream + "|" + line.text;
      if (seen.has(key)) return;
      seen.add(key);
      var row = document.createElement("div");
      row.className = "log-line " + line.stream;
      row.dataset.text = line.text.toLowerCase();
      var time = document.createElement("time");
      time.dateTime = line.at || "";
      time.textContent = line.at ? line.at.replace("T", " ").slice(0, 23) : "";
      var stream = document.createElement("span");
      stream.className = "log-stream " + line.stream;
      stream.textContent = line.stream === "stderr" ? "err" : "out";
      var text = document.createElement("span");
      text.className = "log-text";
      text.textContent = line.text;
      row.append(time, stream, text);
      row.hidden = !matches(row);
      var atBottom = view.scrollHeight - view.scrollTop - view.clientHeight < 40;
      view.appendChild(row);
      while (view.childElementCount > MAX_LINES) view.firstElementChild.remove();
      if (atBottom) view.scrollTop = view.scrollHeight;
    }

    function connect() {
      var url = panel.dataset.stream + "?tail=" + encodeURIComponent(panel.dataset.tail || "200");
      source = new EventSource(url, { withCredentials: true });
      source.addEventListener("open", function () {
        if (!paused) say("live", "Live");
      });
      source.addEventListener("log", function (event) {
        var line = JSON.parse(event.data);
        if (paused) {
          held.push(line);
          if (held.length > MAX_LINES) held.shift();
          say("paused", "Paused, " + held.length + " new");
        } else {
          show(line);
        }
      });
      source.addEventListener("end", function (event) {
        source.close();
        var reason = "";
        try { reason = JSON.parse(event.data).reason || ""; } catch (e) { reason = ""; }
        say("ended", "Ended" + (reason ? ": " + reason : ""));
      });
      source.addEventListener("error", function () {
        if (source.readyState === EventSource.CLOSED) say("ended", "Disconnected");
        else say("connecting", "Reconnecting");
      });
    }

    pause.addEventListener("click", function () {
      paused = !paused;
      pause.setAttribute("aria-pressed", paused ? "true" : "false");
      pause.textContent = paused ? "Resume" : "Pause";
      if (paused) {
        say("paused", "Paused");
      } else {
        held.splice(0).forEach(show);
        say("live", "Live");
      }
    });

    filter.addEventListener("input", function () {
      view.querySelectorAll(".log-line").forEach(function (row) {
        row.hidden = !matches(row);
      });
    });

    connect();
  }

  function init() {
    var panel = document.getElementById("logs");
    if (panel && panel.dataset.stream) start(panel);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
