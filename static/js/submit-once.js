// A form is sent once: while its submission is in flight its buttons are disabled and a second
// click does nothing. The server is the guarantee (every form carries a one-time key, see
// records/submissions.py); this only spares the user a second wait.
//
// Back to a form already sent, the browser fetches the page again (with a new key) and fills in
// what was sent. Sent again untouched, it is the same submission: it goes with the key it was
// sent with the first time, and the server answers as it did then instead of writing again.
// Anything typed into the form since the page loaded makes it a new submission, and so does any
// form of a page opened anew (a link, the address bar, a reload): only Back or Forward returns
// to a submission already made.
(function () {
  const BUTTONS = "button[type=submit], input[type=submit], button:not([type])";
  const SENT = "trialsite-sent:";
  const REMEMBERED = 60 * 60 * 1000;
  const store = window.sessionStorage;
  const navigation = performance.getEntriesByType("navigation")[0];
  const cameBack = navigation !== undefined && navigation.type === "back_forward";

  function keyInput(form) {
    return form.querySelector("input[name=submission_key]");
  }
  function values(form) {
    return JSON.stringify(
      Array.from(form.elements)
        .filter((f) => f.name && !["hidden", "password", "submit", "button"].includes(f.type))
        .filter((f) => !((f.type === "checkbox" || f.type === "radio") && !f.checked))
        .map((f) => [f.name, f.value])
    );
  }
  function sentKey(form) {
    // The page, where the form posts, and its fields: the flowsheet's steps post to one address.
    const names = Array.from(new Set(Array.from(form.elements, (f) => f.name).filter(Boolean)));
    const action = new URL(form.action, location.href).pathname;
    return SENT + location.pathname + "|" + action + "|" + names.sort().join(",");
  }

  document.addEventListener(
    "input",
    (event) => {
      if (event.isTrusted && event.target.form) event.target.form.dataset.typed = "1";
    },
    true
  );

  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || event.defaultPrevented) return;
    if (form.dataset.submitting) {
      event.preventDefault();
      return;
    }
    form.dataset.submitting = "1";
    const key = keyInput(form);
    if (key) {
      const sent = values(form);
      const earlier = JSON.parse(store.getItem(sentKey(form)) || "null");
      if (
        earlier &&
        cameBack &&
        !form.dataset.typed &&
        earlier.values === sent &&
        Date.now() - earlier.at < REMEMBERED
      ) {
        key.value = earlier.key; // the same submission as before: answered as it was
      }
      store.setItem(sentKey(form), JSON.stringify({ key: key.value, values: sent, at: Date.now() }));
    }
    const submitter = event.submitter;
    // Disabled only once the browser has read the form, so the button's own name and value
    // (the step it asks for) are still sent.
    setTimeout(function () {
      form.querySelectorAll(BUTTONS).forEach(function (button) {
        if (button.disabled) return;
        button.disabled = true;
        button.dataset.sending = button === submitter ? button.textContent : "";
      });
      if (submitter && submitter.tagName === "BUTTON") submitter.textContent = "Saving…";
    }, 0);
  });
  // Back to a page the browser kept: its forms can be sent again (their key decides).
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-submitting]").forEach(function (form) {
      delete form.dataset.submitting;
      form.querySelectorAll("[data-sending]").forEach(function (button) {
        if (button.dataset.sending) button.textContent = button.dataset.sending;
        button.disabled = false;
        delete button.dataset.sending;
      });
    });
  });
})();
