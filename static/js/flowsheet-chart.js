// The flowsheet's chart: readings over minutes from the initial dose, with the study's thresholds.
(function () {
  const data = JSON.parse(document.getElementById("chart-data").textContent);
  const canvas = document.getElementById("vitals-chart");
  if (!canvas || typeof Chart === "undefined") return;
  const s = data.series;
  const xs = [].concat(s.systolic, s.diastolic, s.pulse, s.temperature, s.suds).map((p) => p.x);
  const xmin = Math.min(0, ...xs);
  const xmax = Math.max(60, ...xs) + 15;
  const threshold = (label, y, color, axis) => ({
    label: label,
    data: [{ x: xmin, y: y }, { x: xmax, y: y }],
    borderColor: color,
    borderDash: [6, 4],
    borderWidth: 1,
    pointRadius: 0,
    yAxisID: axis,
    fill: false,
  });
  const line = (label, points, color, axis) => ({
    label: label,
    data: points,
    borderColor: color,
    backgroundColor: color,
    pointRadius: 3,
    tension: 0,
    yAxisID: axis,
  });
  const t = data.thresholds;
  const chart = new Chart(canvas, {
    type: "line",
    data: {
      datasets: [
        line("Systolic", s.systolic, "#c0392b", "y"),
        line("Diastolic", s.diastolic, "#e67e22", "y"),
        line("Pulse", s.pulse, "#2c7be5", "y"),
        line("Temperature", s.temperature, "#6f42c1", "yTemp"),
        line("SUDS", s.suds, "#198754", "ySuds"),
        threshold("Systolic threshold", t.systolic, "#c0392b", "y"),
        threshold("Diastolic threshold", t.diastolic, "#e67e22", "y"),
        threshold("Pulse threshold", t.pulse, "#2c7be5", "y"),
        threshold("Temperature threshold", t.temperature, "#6f42c1", "yTemp"),
      ],
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      parsing: true,
      scales: {
        x: {
          type: "linear",
          min: xmin,
          max: xmax,
          title: { display: true, text: "minutes from the initial dose" },
          ticks: { stepSize: 30 },
        },
        y: { title: { display: true, text: "mmHg / bpm" }, suggestedMin: 40, suggestedMax: 180 },
        yTemp: {
          position: "right",
          title: { display: true, text: "°C" },
          suggestedMin: 35.5,
          suggestedMax: 39,
          grid: { drawOnChartArea: false },
        },
        ySuds: {
          position: "right",
          min: 0,
          max: 10,
          title: { display: true, text: "SUDS" },
          grid: { drawOnChartArea: false },
        },
      },
      plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
    },
  });
  // Printing: redraw at the paper's width so the chart is on the printed flowsheet too.
  window.addEventListener("beforeprint", () => chart.resize());
  window.addEventListener("afterprint", () => chart.resize());
})();
