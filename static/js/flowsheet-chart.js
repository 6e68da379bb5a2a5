// The flowsheet's chart: readings over minutes from the initial dose, with the study's thresholds,
// the doses as vertical lines and the supplemental dose's allowed window shaded.
(function () {
  const canvas = document.getElementById("vitals-chart");
  const source = document.getElementById("chart-data");
  if (!canvas || !source || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);

  // Minutes from the initial dose as staff say them, as `elapsed_label` in selectors.py does:
  // "+1h30", "-0h15".
  const elapsedLabel = (minutes) => {
    const sign = minutes < 0 ? "-" : "+";
    const m = Math.abs(Math.round(minutes));
    return `${sign}${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}`;
  };

  const s = data.series;
  const supplemental = data.supplemental; // null: no supplemental dose (or struck through)
  const win = data.supplemental_window;
  const xs = [].concat(s.systolic, s.diastolic, s.pulse, s.temperature, s.suds).map((p) => p.x);
  if (supplemental !== null) xs.push(supplemental);
  // The x axis: from the half hour before the first reading (or the dose) to the half hour after
  // the last reading or the end of the supplemental window, ticked at round steps counted from
  // the dose at 0: every 30 minutes, or every hour when that spans more than four hours.
  const xmin = Math.floor((Math.min(0, ...xs) - 5) / 30) * 30;
  const xmax = Math.ceil((Math.max(win.latest, ...xs) + 10) / 30) * 30;
  const step = xmax - xmin > 240 ? 60 : 30;
  const xticks = [];
  for (let x = Math.ceil(xmin / step) * step || 0; x <= xmax; x += step) xticks.push({ value: x });

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
  // A dose: a vertical line from the bottom to the top of the plot, on a hidden 0..1 axis.
  const dose = (label, x, dash) => ({
    label: label,
    data: [{ x: x, y: 0 }, { x: x, y: 1 }],
    borderColor: "#343a40",
    backgroundColor: "#343a40",
    borderDash: dash,
    borderWidth: 2,
    pointRadius: 0,
    pointHitRadius: 0,
    yAxisID: "yMarker",
    fill: false,
    doseMarker: true,
  });
  const markers = [dose("Initial dose", 0, [])];
  if (supplemental !== null) {
    markers.push(dose(`Supplemental dose ${elapsedLabel(supplemental)}`, supplemental, [5, 3]));
  }
  // The allowed window of the supplemental dose, shaded from the bottom to the top of the plot.
  markers.push({
    label: `Supplemental window ${elapsedLabel(win.earliest)} to ${elapsedLabel(win.latest)}`,
    data: [{ x: win.earliest, y: 1 }, { x: win.latest, y: 1 }],
    borderWidth: 0,
    borderColor: "rgba(108, 117, 125, 0.15)",
    backgroundColor: "rgba(108, 117, 125, 0.15)",
    pointRadius: 0,
    pointHitRadius: 0,
    yAxisID: "yMarker",
    fill: "origin",
    order: 10, // drawn first, under the readings
    windowMarker: true,
  });

  // Writes each dose's label at the top of its line (Chart.js has no annotation of its own).
  const doseLabels = {
    id: "doseLabels",
    afterDatasetsDraw(chart) {
      const { ctx, chartArea } = chart;
      let row = 0;
      chart.data.datasets.forEach((dataset, index) => {
        if (!dataset.doseMarker || !chart.isDatasetVisible(index)) return;
        const x = chart.scales.x.getPixelForValue(dataset.data[0].x);
        if (x < chartArea.left || x > chartArea.right) return;
        ctx.save();
        ctx.font = "12px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
        const width = ctx.measureText(dataset.label).width;
        const left = x + 4 + width > chartArea.right ? x - 4 - width : x + 4;
        const top = chartArea.top + 4 + row * 16;
        ctx.fillStyle = "rgba(255, 255, 255, 0.85)";
        ctx.fillRect(left - 2, top - 1, width + 4, 15);
        ctx.fillStyle = dataset.borderColor;
        ctx.textBaseline = "top";
        ctx.fillText(dataset.label, left, top);
        ctx.restore();
        row += 1;
      });
    },
  };

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
        ...markers,
      ],
    },
    plugins: [doseLabels],
    options: {
      animation: false,
      maintainAspectRatio: false,
      parsing: true,
      scales: {
        x: {
          type: "linear",
          min: xmin,
          max: xmax,
          title: { display: true, text: "time from the initial dose (h:min)" },
          afterBuildTicks: (axis) => {
            axis.ticks = xticks.map((tick) => ({ ...tick }));
          },
          ticks: { callback: (value) => elapsedLabel(value) },
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
        yMarker: { display: false, min: 0, max: 1 },
      },
      plugins: {
        legend: {
          position: "bottom",
          labels: {
            boxWidth: 12,
            // The doses are named on their lines; the legend keeps the readings and the window.
            filter: (item, chartData) => !chartData.datasets[item.datasetIndex].doseMarker,
          },
        },
        tooltip: {
          filter: (item) => !item.dataset.doseMarker && !item.dataset.windowMarker,
          callbacks: { title: (items) => (items.length ? elapsedLabel(items[0].parsed.x) : "") },
        },
      },
    },
  });

  // Printing: Chart.js does not follow the print styles by itself; redraw at the printed box's
  // size when they apply (Chromium applies them after `beforeprint`) and back after printing.
  const fit = () => chart.resize();
  window.addEventListener("beforeprint", fit);
  window.addEventListener("afterprint", fit);
  window.matchMedia("print").addEventListener("change", fit);
})();
