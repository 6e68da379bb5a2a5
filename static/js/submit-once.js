// A form is sent once: while its submission is in flight its buttons are disabled and a second
// click does nothing. The server is the guarantee (every form carries a one-time key, see
// records/submissions.py); this only spares the user a second wait.
(function () {
  const BUTTONS = "button[type=submit], input[type=submit], button:not([type])";
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || event.defaultPrevented) return;
    if (form.dataset.submitting) {
      event.preventDefault();
      return;
    }
    form.dataset.submitting = "1";
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
