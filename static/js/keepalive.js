// Keeps the login alive while the user is working on a page (typing, clicking, scrolling), and
// warns before an idle logout with a "Stay signed in" button. The server still ends a session
// nobody touches; what was typed on the page is kept in the tab meanwhile (drafts.js).
(function () {
  const body = document.body;
  const url = body.dataset.keepaliveUrl;
  // The server writes the activity time at most once a minute (accounts/middleware.py): the
  // count-down runs a minute short, but for a keep-alive, which is written at once.
  const idle = parseInt(body.dataset.idleTimeout || "0", 10) * 1000;
  const timeout = idle > 120000 ? idle - 60000 : idle;
  const token = document.querySelector("[name=csrfmiddlewaretoken]");
  const warning = document.getElementById("idle-warning");
  if (!url || !timeout || !token || !warning) return;
  const text = warning.querySelector("[data-idle-text]");
  const stay = warning.querySelector("[data-idle-stay]");
  let lastActivity = Date.now();
  let lastPing = Date.now();
  let ended = false;

  function ping() {
    lastPing = Date.now();
    return fetch(url, {
      method: "POST",
      headers: { "X-CSRFToken": token.value },
      credentials: "same-origin",
      redirect: "manual",
    })
      .then(function (response) {
        if (!response.ok) end();
      })
      .catch(function () {});
  }
  function end() {
    ended = true;
    text.textContent =
      "Your session has ended for inactivity. What you typed on this page is kept in this browser " +
      "tab: log in again and it is restored.";
    stay.textContent = "Log in again";
    warning.classList.remove("d-none");
  }
  function active() {
    if (ended) return;
    const warned = !warning.classList.contains("d-none");
    lastActivity = Date.now();
    if (warned) {
      warning.classList.add("d-none");
      ping();
    }
  }
  // What the user does, not what the page does: a scroll can come from the page itself (the
  // browser keeping the view steady while the layout moves), so only the wheel and touch count.
  ["keydown", "input", "pointerdown", "wheel", "touchstart", "change"].forEach((type) =>
    document.addEventListener(
      type,
      (event) => {
        if (event.isTrusted) active();
      },
      { passive: true, capture: true }
    )
  );
  stay.addEventListener("click", function () {
    if (ended) {
      location.reload();
      return;
    }
    warning.classList.add("d-none");
    lastActivity = Date.now();
    ping();
  });
  function tick() {
    if (ended) return;
    const now = Date.now();
    if (lastActivity > lastPing && now - lastPing > 60000) ping();
    const left = timeout - (now - lastPing);
    if (left <= 0) {
      end();
    } else if (left < 120000 && lastActivity <= lastPing) {
      const seconds = Math.ceil(left / 1000);
      text.textContent =
        "You will be logged out in " +
        (seconds >= 90 ? Math.round(seconds / 60) + " min" : seconds + " s") +
        " for inactivity.";
      warning.classList.remove("d-none");
    }
  }
  setInterval(tick, parseInt(body.dataset.idleTick || "5000", 10));
})();
