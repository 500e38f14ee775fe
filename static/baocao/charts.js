/* Dashboard charts (issue 9): drawn with the vendored Chart.js from data the page embeds with
   {{ data|json_script:"id" }}. Vietnamese labels come from the server; numbers are formatted
   vi-VN (1.250; 87,5 %). No animation and a fixed aspect ratio, so a printed page shows the
   same charts as the screen. Markup:
     <canvas data-chart="trend|ranking" data-source="json-script-id" role="img" aria-label="…">
*/
(function () {
  "use strict";
  if (typeof Chart === "undefined") { return; }

  var number = new Intl.NumberFormat("vi-VN", { maximumFractionDigits: 2 });
  var oneDecimal = new Intl.NumberFormat("vi-VN", { maximumFractionDigits: 1 });
  var COLOURS = ["#b71c1c", "#1565c0", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f"];

  function formatValue(value, rate) {
    if (value === null || value === undefined) { return "Chưa có số liệu"; }
    return rate ? oneDecimal.format(value) + " %" : number.format(value);
  }

  Chart.defaults.animation = false;
  Chart.defaults.responsive = true;
  Chart.defaults.maintainAspectRatio = true;
  Chart.defaults.font.family = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif";
  Chart.defaults.locale = "vi-VN";

  function valueAxis(rate) {
    var axis = { beginAtZero: true, ticks: { callback: function (v) { return formatValue(v, rate); } } };
    if (rate) { axis.max = 100; }
    return axis;
  }

  function tooltip(rate) {
    return { callbacks: { label: function (ctx) {
      var value = ctx.chart.options.indexAxis === "y" ? ctx.parsed.x : ctx.parsed.y;
      return (ctx.dataset.label ? ctx.dataset.label + ": " : "") + formatValue(value, rate);
    } } };
  }

  function trendChart(canvas, data) {
    var rate = data.series.every(function (s) { return s.rate; });
    return new Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: data.series.map(function (s, i) {
          return { label: s.label, data: s.data, borderColor: COLOURS[i % COLOURS.length],
                   backgroundColor: COLOURS[i % COLOURS.length], spanGaps: true, tension: 0 };
        })
      },
      options: { aspectRatio: 2.2, scales: { y: valueAxis(rate) },
                 plugins: { tooltip: tooltip(rate), legend: { position: "bottom" } } }
    });
  }

  function rankingChart(canvas, data) {
    var count = Math.max(data.labels.length, 1);
    return new Chart(canvas, {
      type: "bar",
      data: { labels: data.labels,
              datasets: [{ label: data.label, data: data.values, backgroundColor: "#b71c1c" }] },
      options: { indexAxis: "y", aspectRatio: Math.max(0.6, Math.min(3, 12 / count)),
                 scales: { x: valueAxis(data.rate) },
                 plugins: { tooltip: tooltip(data.rate), legend: { display: false } } }
    });
  }

  var DRAW = { trend: trendChart, ranking: rankingChart };

  function drawAll() {
    var canvases = document.querySelectorAll("canvas[data-chart]");
    Array.prototype.forEach.call(canvases, function (canvas) {
      var source = document.getElementById(canvas.getAttribute("data-source"));
      var draw = DRAW[canvas.getAttribute("data-chart")];
      if (!source || !draw) { return; }
      draw(canvas, JSON.parse(source.textContent));
    });
  }

  // Chart.js sizes a responsive canvas to its box; re-fit before and after printing.
  function resizeAll() {
    Object.keys(Chart.instances).forEach(function (key) { Chart.instances[key].resize(); });
  }
  window.addEventListener("beforeprint", resizeAll);
  window.addEventListener("afterprint", resizeAll);

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
  window.cmcCharts = { formatValue: formatValue };
})();
