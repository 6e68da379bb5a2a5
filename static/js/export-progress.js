// Refreshes an export's progress bar every second until it has finished, then shows the
// download link. Without the script the page shows the state when it was loaded.
(function () {
  const box = document.querySelector("[data-export-progress-url]");
  if (!box) return;
  const bar = box.querySelector("[data-export-bar]");
  const meter = bar.parentElement;
  const status = box.querySelector("[data-export-status]");
  const written = box.querySelector("[data-export-written]");
  const download = box.querySelector("[data-export-download]");

  function show(state) {
    bar.style.width = state.percent + "%";
    bar.textContent = state.percent + "%";
    meter.setAttribute("aria-valuenow", state.percent);
    status.textContent = state.status_label;
    written.textContent = state.written;
    box.querySelector("[data-export-percent]").textContent = state.percent;
    state.rows.forEach(function (row) {
      const cell = box.querySelector('[data-export-rows="' + row.dataset + '"]');
      if (cell) cell.textContent = row.rows === null ? "" : row.rows;
    });
    if (state.finished) {
      bar.classList.remove("progress-bar-striped", "progress-bar-animated");
      if (state.status === "failed") bar.classList.add("bg-danger");
    }
    if (state.failure) {
      const failure = box.querySelector("[data-export-failure]");
      failure.textContent = state.failure;
      failure.hidden = false;
    }
    if (state.download_url) {
      download.querySelector("a").href = state.download_url;
      download.hidden = false;
    }
  }

  // The width comes from here (the page's policy allows no inline style).
  bar.style.width = meter.getAttribute("aria-valuenow") + "%";

  function poll() {
    fetch(box.dataset.exportProgressUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (state) {
        show(state);
        if (!state.finished) setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 5000); });
  }

  if (!box.querySelector("[data-export-download]:not([hidden])")) setTimeout(poll, 1000);
})();
