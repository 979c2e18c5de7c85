/* Draws the dashboard's charts with the bundled Chart.js, from the figures the server embedded as JSON.
   A file, not an inline script, so the page's Content-Security-Policy can refuse every inline script. */
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || typeof Chart === "undefined") {
    return;
  }
  var series = JSON.parse(source.textContent).series;
  var colours = { accent: "#1f4e99", light: "#8fb3e8", good: "#1b7a3a", warm: "#c05600" };

  function scaled(values, factor) {
    return values.map(function (v) { return v === null ? null : Math.round(v * factor * 100) / 100; });
  }

  function draw(id, datasets, yTitle, scale) {
    var y = Object.assign({ beginAtZero: true, title: { display: true, text: yTitle } }, scale || {});
    return new Chart(document.getElementById(id), {
      data: { labels: series.days, datasets: datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        spanGaps: true,
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { position: "bottom" } },
        scales: { y: y }
      }
    });
  }

  function line(label, data, colour) {
    return { type: "line", label: label, data: data, borderColor: colour, backgroundColor: colour, pointRadius: 3, tension: 0.2 };
  }

  function bars(label, data, colour) {
    return { type: "bar", label: label, data: data, backgroundColor: colour };
  }

  draw("chart-volume", [
    line("Backlog (end of day)", series.backlog, colours.accent),
    bars("Created", series.created, colours.light),
    bars("Resolved", series.resolved, colours.good)
  ], "cases", { ticks: { precision: 0 } });
  draw("chart-times", [
    line("First response, median", scaled(series.frt_median_s, 1 / 3600), colours.accent),
    line("Resolution, median", scaled(series.ttr_median_s, 1 / 3600), colours.warm)
  ], "hours");
  draw("chart-sla", [line("SLA compliance", scaled(series.sla_compliance, 100), colours.good)], "%", { max: 100 });
  document.documentElement.setAttribute("data-charts", "drawn");
}());
