// The public status page, live: the stream says what changed, and the page body is fetched
// again (revalidated with its ETag) so every part of it agrees. Without JavaScript the page
// is complete as served.
(function () {
  "use strict";
  const TYPES = [
    "status.snapshot",
    "status.component_changed",
    "status.incident_created",
    "status.incident_updated",
    "status.incident_resolved",
    "status.maintenance_started",
    "status.maintenance_ended",
  ];
  let pending = null;

  function root() {
    return document.getElementById("status-root");
  }

  function markLive(state) {
    const element = root();
    if (element) element.dataset.live = state;
  }

  function applyComponent(data) {
    const row = document.querySelector('[data-component="' + CSS.escape(data.componentId) + '"]');
    if (!row) return;
    row.dataset.status = data.status;
    const pill = row.querySelector(".status-pill");
    if (pill) {
      pill.className = "status-pill status-" + data.status;
      pill.textContent = data.status.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
    }
  }

  async function reload() {
    pending = null;
    try {
      const response = await fetch("/status", { cache: "no-cache", headers: { Accept: "text/html" } });
      if (!response.ok) return;
      const next = new DOMParser().parseFromString(await response.text(), "text/html").getElementById("status-root");
      const current = root();
      if (next && current) {
        current.innerHTML = next.innerHTML;
        current.dataset.status = next.dataset.status;
      }
    } catch (error) {
      // The next event or reconnect tries again.
    }
  }

  function scheduleReload() {
    if (pending === null) pending = setTimeout(reload, 250);
  }

  function connect() {
    if (!window.EventSource) return;
    const source = new EventSource("/status/events");
    source.onopen = () => markLive("live");
    source.onerror = () => markLive("reconnecting");
    for (const type of TYPES) {
      source.addEventListener(type, (message) => {
        markLive("live");
        if (type === "status.snapshot") return;
        let body = null;
        try {
          body = JSON.parse(message.data);
        } catch (error) {
          body = null;
        }
        if (type === "status.component_changed" && body && body.data) applyComponent(body.data);
        scheduleReload();
      });
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", connect);
  else connect();
})();
