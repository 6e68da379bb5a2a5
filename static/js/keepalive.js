// Keeps the login alive while the user is working on a page (typing, clicking, scrolling), and
// warns before an idle logout. The server still ends a session nobody touches.
(function () {
  const body = document.body;
  const url = body.dataset.keepaliveUrl;
  const timeout = parseInt(body.dataset.idleTimeout || "0", 10) * 1000;
  const token = document.querySelector("[name=csrfmiddlewaretoken]");
  if (!url || !timeout || !token) return;
  let lastActivity = Date.now();
  let lastPing = Date.now();
  const warning = document.getElementById("idle-warning");
  function active() {
    lastActivity = Date.now();
    if (warning) warning.classList.add("d-none");
  }
  ["keydown", "input", "pointerdown", "scroll", "change"].forEach((type) =>
    document.addEventListener(type, active, { passive: true, capture: true })
  );
  setInterval(function () {
    const now = Date.now();
    if (lastActivity > lastPing && now - lastPing > 60000) {
      lastPing = now;
      fetch(url, {
        method: "POST",
        headers: { "X-CSRFToken": token.value },
        credentials: "same-origin",
      }).catch(function () {});
    }
    const left = timeout - (now - Math.max(lastActivity, lastPing));
    if (warning && left < 120000 && left > 0) {
      warning.textContent =
        "You will be logged out in " + Math.ceil(left / 60000) +
        " min for inactivity. Type or click anywhere to stay logged in.";
      warning.classList.remove("d-none");
    }
  }, 15000);
})();
