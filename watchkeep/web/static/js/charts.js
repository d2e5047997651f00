// History charts (uPlot): every `.charts` block on a page draws one chart per figure from
// its `data-source` URL (with `{range}` and `{metric}` filled in), with a range picker,
// hover values and drag-to-zoom (uPlot's own), and refreshes when its `data-refresh-on`
// event arrives on the page's stream.
(function () {
  "use strict";

  var SPANS = { "1h": 3600, "6h": 21600, "24h": 86400, "7d": 604800, "30d": 2592000 };
  var HEIGHT = 180;

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

  function Charts(block) {
    this.block = block;
    this.range = block.dataset.defaultRange || "1h";
    this.plots = {};
  }

  Charts.prototype.draw = function (figure, points) {
    var self = this;
    var holder = figure.querySelector(".plot");
    var metric = figure.dataset.metric;
    var unit = figure.dataset.unit;
    var x = this.block.dataset.x || "t";
    var y = this.block.dataset.y || "v";
    var xs = points.map(function (p) { return Date.parse(p[x]) / 1000; });
    var ys = points.map(function (p) { return p[y]; });
    figure.dataset.points = String(points.length);
    if (this.plots[metric]) {
      this.plots[metric].setData([xs, ys]);
      return;
    }
    var grid = { stroke: cssVar("--grid") };
    this.plots[metric] = new window.uPlot({
      width: Math.max(holder.clientWidth, 280),
      height: HEIGHT,
      scales: {
        // The chosen range, whatever the first points cover
        x: { time: true, range: function () {
          var now = Date.now() / 1000;
          return [now - SPANS[self.range], now];
        } },
        y: unit === "%" ? { range: [0, 100] } : {},
      },
      axes: [
        { stroke: cssVar("--muted"), grid: grid },
        { stroke: cssVar("--muted"), grid: grid, size: unit ? 80 : 60, values: function (u, vals) {
          return vals.map(function (v) { return format(unit)(u, v); });
        } },
      ],
      series: [{}, { label: figure.querySelector("figcaption").textContent, stroke: cssVar("--accent"), width: 2, value: format(unit) }],
    }, [xs, ys], holder);
  };

  Charts.prototype.load = function () {
    var self = this;
    this.block.querySelectorAll("figure.chart").forEach(function (figure) {
      var url = self.block.dataset.source
        .replace("{range}", encodeURIComponent(self.range))
        .replace("{metric}", encodeURIComponent(figure.dataset.metric));
      fetch(url, { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : { points: [] }; })
        .then(function (body) { self.draw(figure, body.points || []); });
    });
  };

  Charts.prototype.resize = function () {
    var plots = this.plots;
    var block = this.block;
    Object.keys(plots).forEach(function (metric) {
      var holder = block.querySelector('[data-metric="' + metric + '"] .plot');
      plots[metric].setSize({ width: Math.max(holder.clientWidth, 280), height: HEIGHT });
    });
  };

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.uPlot) return;
    document.querySelectorAll(".charts[data-source]").forEach(function (block) {
      var charts = new Charts(block);
      charts.load();
      var section = block.closest("section") || document;
      section.querySelectorAll("[data-range]").forEach(function (button) {
        button.addEventListener("click", function () {
          charts.range = button.dataset.range;
          section.querySelectorAll("[data-range]").forEach(function (other) {
            other.setAttribute("aria-pressed", other === button ? "true" : "false");
          });
          charts.load();
        });
      });
      var pending = null;
      document.addEventListener("htmx:sseMessage", function (event) {
        if (!event.detail || event.detail.type !== block.dataset.refreshOn || pending) return;
        pending = window.setTimeout(function () {
          pending = null;
          charts.load();
        }, 2000);
      });
      window.addEventListener("resize", function () { charts.resize(); });
    });
  });
})();
