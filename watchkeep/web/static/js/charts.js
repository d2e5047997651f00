// The host page's history charts (uPlot): one per metric, a range picker, hover values and
// drag-to-zoom (uPlot's own); refreshed when the host sends new metrics.
(function () {
  "use strict";

  var range = "1h";
  var plots = {};
  var SPANS = { "1h": 3600, "6h": 21600, "24h": 86400, "7d": 604800, "30d": 2592000 };

  // A colour of the page's current scheme, resolved to one a canvas understands
  function cssVar(name) {
    var probe = document.createElement("span");
    probe.style.color = "var(" + name + ")";
    document.body.appendChild(probe);
    var colour = getComputedStyle(probe).color;
    probe.remove();
    return colour;
  }

  function format(unit) {
    return function (self, value) {
      if (value == null) return "–";
      if (unit === "B/s") {
        var sizes = ["B/s", "KiB/s", "MiB/s", "GiB/s"];
        var i = 0;
        while (Math.abs(value) >= 1024 && i < sizes.length - 1) {
          value /= 1024;
          i++;
        }
        return value.toFixed(1) + " " + sizes[i];
      }
      return value.toFixed(1) + (unit ? " " + unit : "");
    };
  }

  function draw(figure, points) {
    var holder = figure.querySelector(".plot");
    var metric = figure.dataset.metric;
    var unit = figure.dataset.unit;
    var xs = points.map(function (p) {
      return Date.parse(p.t) / 1000;
    });
    var ys = points.map(function (p) {
      return p.v;
    });
    figure.dataset.points = String(points.length);
    if (plots[metric]) {
      plots[metric].setData([xs, ys]);
      return;
    }
    var yScale = unit === "%" ? { range: [0, 100] } : {};
    var opts = {
      width: Math.max(holder.clientWidth, 280),
      height: 180,
      scales: {
        // The chosen range, whatever the first points cover
        x: { time: true, range: function () {
          var now = Date.now() / 1000;
          return [now - SPANS[range], now];
        } },
        y: yScale,
      },
      axes: [
        { stroke: cssVar("--muted"), grid: { stroke: cssVar("--grid") } },
        unit ? { stroke: cssVar("--muted"), grid: { stroke: cssVar("--grid") }, size: 80, values: function (u, vals) {
          return vals.map(function (v) { return format(unit)(u, v); });
        } } : { stroke: cssVar("--muted"), grid: { stroke: cssVar("--grid") }, size: 60 },
      ],
      series: [{}, { label: figure.querySelector("figcaption").textContent, stroke: cssVar("--accent"), width: 2, value: format(unit) }],
    };
    plots[metric] = new window.uPlot(opts, [xs, ys], holder);
  }

  function load(container) {
    var agent = container.dataset.agent;
    var figures = container.querySelectorAll("figure.chart");
    figures.forEach(function (figure) {
      var url = "/api/v1/agents/" + encodeURIComponent(agent) + "/metrics/history?range=" + range + "&metric=" + figure.dataset.metric;
      if (container.dataset.container) url += "&container=" + encodeURIComponent(container.dataset.container);
      fetch(url, { credentials: "same-origin" })
        .then(function (response) {
          return response.ok ? response.json() : { points: [] };
        })
        .then(function (body) {
          draw(figure, body.points || []);
        });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var container = document.querySelector(".charts[data-agent]");
    if (!container || !window.uPlot) return;
    load(container);
    document.querySelectorAll("[data-range]").forEach(function (button) {
      button.addEventListener("click", function () {
        range = button.dataset.range;
        document.querySelectorAll("[data-range]").forEach(function (other) {
          other.setAttribute("aria-pressed", other === button ? "true" : "false");
        });
        load(container);
      });
    });
    var pending = null;
    document.addEventListener("htmx:sseMessage", function (event) {
      if (!event.detail || event.detail.type !== "resource.snapshot" || pending) return;
      pending = window.setTimeout(function () {
        pending = null;
        load(container);
      }, 2000);
    });
    window.addEventListener("resize", function () {
      Object.keys(plots).forEach(function (metric) {
        var holder = container.querySelector('[data-metric="' + metric + '"] .plot');
        plots[metric].setSize({ width: Math.max(holder.clientWidth, 280), height: 180 });
      });
    });
  });
})();
