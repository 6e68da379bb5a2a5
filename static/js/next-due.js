// Keeps "next reading due in N min" current while the flowsheet stays open.
(function () {
  const due = document.querySelector("[data-due]");
  const text = document.querySelector("[data-due-text]");
  if (!due || !text) return;
  const at = new Date(due.dataset.due);
  const card = due.closest("[data-testid=next-due]");
  function tick() {
    const minutes = Math.floor((at - new Date()) / 60000);
    text.textContent = minutes < 0 ? "overdue by " + -minutes + " min" : "in " + minutes + " min";
    if (card && minutes < 0) card.classList.add("border-danger");
  }
  tick();
  setInterval(tick, 30000);
})();
