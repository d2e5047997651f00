// The endpoint pages: the form shows the fields of the chosen type only; an endpoint's page
// draws its response times (uPlot) for the chosen range, refreshed as results arrive.
(function () {
  "use strict";

  function showType(form) {
    var checked = form.querySelector("input[name=type]:checked");
    if (!checked) return;
    var parts = form.parentNode.querySelectorAll("[data-type]");
    for (var i = 0; i < parts.length; i++) parts[i].hidden = parts[i].dataset.type !== checked.value;
  }

  function cssVar(name) {
    var probe = document.createElement("span");
    probe.style.color = "var(" + name + ")";
    document.body.appendChild(probe);
    var colour = getComputedStyle(probe).color;
    probe.remove();
    return colour;
  }

  var SPANS = { "1h": 3600, "6h": 21600, "24h": 86400, "7d": 604800, "30d": 2592000 };
  var range = "24h";
  var plot = null;

  function draw(figure, body) {
    var holder = figure.querySelector(".plot");
    var points = body.points || [];
    var xs = points.map(function (p) { return Date.parse(p.at) / 1000; });
    var ys = points.map(function (p) { return p.responseMs; });
    figure.dataset.points = String(points.length);
    if (plot) {
      plot.setData([xs, ys]);
      return;
    }
    plot = new window.uPlot({
      width: Math.max(holder.clientWidth, 280),
      height: 200,
      scales: { x: { time: true, range: function () {
        var now = Date.now() / 1000;
        return [now - SPANS[range], now];
      } } },
      axes: [
        { stroke: cssVar("--muted"), grid: { stroke: cssVar("--grid") } },
        { stroke: cssVar("--muted"), grid: { stroke: cssVar("--grid") }, size: 70, values: function (u, vals) {
          return vals.map(function (v) { return v + " ms"; });
        } },
      ],
      series: [{}, { label: "Response time", stroke: cssVar("--accent"), width: 2, spanGaps: false, value: function (u, v) {
        return v == null ? "–" : v.toFixed(1) + " ms";
      } }],
    }, [xs, ys], holder);
  }

  function load(figure) {
    var url = "/api/v1/endpoints/" + encodeURIComponent(figure.dataset.endpoint) + "/response-times?range=" + range;
    fetch(url, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : { points: [] }; })
      .then(function (body) { draw(figure, body); });
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLInputElement && target.name === "type" && target.form) showType(target.form);
  });

  document.addEventListener("DOMContentLoaded", function () {
    var forms = document.querySelectorAll("form");
    for (var i = 0; i < forms.length; i++) showType(forms[i]);
    var figure = document.querySelector("figure.chart[data-endpoint]");
    if (!figure || !window.uPlot) return;
    load(figure);
    document.querySelectorAll("[data-range]").forEach(function (button) {
      button.addEventListener("click", function () {
        range = button.dataset.range;
        document.querySelectorAll("[data-range]").forEach(function (other) {
          other.setAttribute("aria-pressed", other === button ? "true" : "false");
        });
        load(figure);
      });
    });
    var pending = null;
    document.addEventListener("htmx:sseMessage", function (event) {
      if (!event.detail || event.detail.type !== "endpoint.check_result" || pending) return;
      pending = window.setTimeout(function () {
        pending = null;
        load(figure);
      }, 2000);
    });
    window.addEventListener("resize", function () {
      if (plot) plot.setSize({ width: Math.max(figure.querySelector(".plot").clientWidth, 280), height: 200 });
    });
  });
})();
