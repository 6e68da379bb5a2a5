// The screening log's charts: screened, failed and enrolled by site, and failures by criterion.
(function () {
  const data = JSON.parse(document.getElementById("chart-data").textContent);
  if (typeof Chart === "undefined") { return; }
  new Chart(document.getElementById("screening-chart"), {
    type: "bar",
    data: {
      labels: data.sites,
      datasets: [
        {label: "Screened", data: data.screened},
        {label: "Screen failures", data: data.failed},
        {label: "Enrolled", data: data.enrolled},
      ],
    },
    options: {scales: {y: {beginAtZero: true, ticks: {precision: 0}}}},
  });
  new Chart(document.getElementById("reasons-chart"), {
    type: "bar",
    data: {labels: data.reasons, datasets: [{label: "Screen failures by criterion", data: data.reason_counts}]},
    options: {indexAxis: "y", scales: {x: {beginAtZero: true, ticks: {precision: 0}}}},
  });
})();
