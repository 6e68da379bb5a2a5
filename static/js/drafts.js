// What the user types is kept in this browser tab (sessionStorage, never on the server) until the
// server has answered its form, so that nothing is lost when:
// - the session ended while the form was open: the form was sent to the login page instead; after
//   logging in again the user is brought back to the page and the typed values are restored;
// - another form of the same page (the flowsheet's steps) was sent: the page reloads and what was
//   half-typed in the others comes back.
// A restored form says so, with the time it was typed, and can be discarded. Drafts belong to the
// user who typed them: another user logging in in this tab gets none, and logging out clears them.
// Who a person is (the identity and screening forms, data-drafts="off") is never kept.
(function () {
  const PREFIX = "trialsite-draft:";
  const KEEP_HALF_TYPED = 30 * 60 * 1000; // a half-typed form older than this is not restored
  const KEEP_INTERRUPTED = 12 * 60 * 60 * 1000; // one the session's end interrupted: a working day
  const store = window.sessionStorage;
  const user = document.body.dataset.user || "";
  const loginPage = document.querySelector("[data-login-page]");
  // A page answering a form that was not saved (too large, an expired security token).
  const lostPage = document.querySelector("[data-submission-lost]");

  function drafts() {
    const found = [];
    for (let i = 0; i < store.length; i++) {
      const key = store.key(i);
      if (!key.startsWith(PREFIX)) continue;
      try {
        found.push([key, JSON.parse(store.getItem(key))]);
      } catch (error) {
        store.removeItem(key);
      }
    }
    return found;
  }

  // A form is known by where it posts and the names of its fields, not by its place on the page.
  function kept(field) {
    if (!field.name || field.disabled || field.type === "password" || field.type === "file") return false;
    if (field.type === "submit" || field.type === "button") return false;
    if (field.type === "hidden") return /(^|-)(expected_)?version$/.test(field.name);
    return true;
  }
  function fields(form) {
    return Array.from(form.elements).filter(kept);
  }
  function formKey(form) {
    const names = Array.from(new Set(fields(form).map((f) => f.name))).sort();
    return PREFIX + new URL(form.action, location.href).pathname + "|" + names.join(",");
  }
  function values(form) {
    const data = {};
    fields(form).forEach(function (field) {
      if ((field.type === "checkbox" || field.type === "radio") && !field.checked) return;
      if (field.tagName === "SELECT" && field.multiple) {
        data[field.name] = Array.from(field.selectedOptions).map((o) => o.value);
      } else {
        (data[field.name] = data[field.name] || []).push(field.value);
      }
    });
    return data;
  }
  function typed(form) {
    // Anything beyond what the page showed when it loaded?
    return fields(form).some((field) => field.type !== "hidden" && field.dataset.shown !== state(field));
  }
  function state(field) {
    if (field.type === "checkbox" || field.type === "radio") return String(field.checked);
    if (field.tagName === "SELECT" && field.multiple) {
      return Array.from(field.selectedOptions).map((o) => o.value).join("\n");
    }
    return field.value;
  }

  // The drafts sent to a server that did not save them (this page says so) wait, interrupted,
  // for the user to go back to their form; returned.
  function interruptSent() {
    return drafts()
      .filter(([, draft]) => draft.sent)
      .map(function ([key, draft]) {
        draft.interrupted = true;
        draft.sent = false;
        store.setItem(key, JSON.stringify(draft));
        return draft;
      });
  }

  if (loginPage) {
    // The session ended: the forms sent meanwhile were never saved. Back to the page they were on.
    const next = new URLSearchParams(location.search).get("next");
    // The form was sent to `next` (its action): after logging in, back to the page it was on.
    const sent = interruptSent().find((draft) => next && next === draft.action);
    const back = sent ? sent.page : null;
    const form = loginPage.querySelector("form");
    if (back && form && next !== back && /^\/(?![\/\\])/.test(back)) {
      form.action = location.pathname + "?next=" + encodeURIComponent(back);
    }
    if (drafts().some(([, draft]) => draft.interrupted)) {
      const note = document.createElement("div");
      note.className = "alert alert-info";
      note.dataset.testid = "drafts-kept";
      note.textContent =
        "What you typed before your session ended is kept in this browser tab. Log in again to " +
        "return to it.";
      loginPage.prepend(note);
    }
    return;
  }
  if (lostPage) {
    // Not saved: a way back to the form, with what was typed.
    const [draft] = interruptSent();
    if (draft) {
      const back = document.createElement("a");
      back.href = draft.page;
      back.className = "d-block mt-2";
      back.dataset.testid = "back-to-form";
      back.textContent = "Back to the form, with what you typed";
      lostPage.append(back);
    }
    return;
  }
  if (!user) return;

  const now = Date.now();
  drafts().forEach(function ([key, draft]) {
    const age = now - draft.saved;
    const stale = age > (draft.interrupted ? KEEP_INTERRUPTED : KEEP_HALF_TYPED);
    // A draft of someone else, a form the server has answered, or one too old to trust.
    if (draft.user !== user || draft.sent || stale) store.removeItem(key);
  });

  // A form marked data-drafts="off" (who a person is) is never kept in the browser.
  const forms = Array.from(document.querySelectorAll("form")).filter(
    (form) =>
      form.method.toLowerCase() === "post" &&
      form.dataset.drafts !== "off" &&
      form.querySelector("[name=submission_key]")
  );
  forms.forEach(function (form) {
    const key = formKey(form);
    fields(form).forEach((field) => (field.dataset.shown = state(field)));
    const draft = JSON.parse(store.getItem(key) || "null");
    if (draft && draft.page === location.pathname + location.search) restore(form, draft, key);
    function save(sent) {
      if (!sent && !typed(form)) {
        store.removeItem(key);
        return;
      }
      store.setItem(
        key,
        JSON.stringify({
          user: user,
          page: location.pathname + location.search,
          action: new URL(form.action, location.href).pathname,
          saved: Date.now(),
          sent: sent,
          values: values(form),
        })
      );
    }
    form.addEventListener("input", () => save(false));
    form.addEventListener("change", () => save(false));
    form.addEventListener("submit", function (event) {
      if (!event.defaultPrevented) save(true);
    });
  });

  function restore(form, draft, key) {
    const data = draft.values || {};
    const used = {};
    fields(form).forEach(function (field) {
      const given = data[field.name];
      // The version the form was opened at is kept only across a session's end (someone else
      // may have saved meanwhile: saving is then refused, not silent). Half-typed beside a form
      // this user just sent, the page's own version stands.
      if (field.type === "hidden" && !draft.interrupted) return;
      if (field.type === "checkbox" || field.type === "radio") {
        field.checked = Array.isArray(given) && given.includes(field.value);
      } else if (field.tagName === "SELECT" && field.multiple) {
        Array.from(field.options).forEach((o) => (o.selected = (given || []).includes(o.value)));
      } else if (Array.isArray(given)) {
        const index = used[field.name] || 0;
        if (index < given.length) field.value = given[index];
        used[field.name] = index + 1;
      }
      field.dispatchEvent(new Event("input", { bubbles: false }));
    });
    const at = new Date(draft.saved).toLocaleTimeString("en-GB", {
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    });
    const note = document.createElement("div");
    note.className = "alert alert-warning py-2 small d-flex align-items-center gap-2";
    note.setAttribute("role", "status");
    note.dataset.testid = "draft-restored";
    const text = document.createElement("span");
    text.textContent = draft.interrupted
      ? `Restored what you typed at ${at}, before your session ended. It is not saved yet: check it and submit again.`
      : `Restored what you typed here at ${at} and did not send. It is not saved yet.`;
    const discard = document.createElement("button");
    discard.type = "button";
    discard.className = "btn btn-sm btn-outline-secondary ms-auto";
    discard.textContent = "Discard";
    discard.addEventListener("click", function () {
      store.removeItem(key);
      form.reset();
      note.remove();
    });
    note.append(text, discard);
    form.prepend(note);
  }

  // Logging out forgets every draft of this tab.
  document.querySelectorAll("form[data-logout]").forEach(function (form) {
    form.addEventListener("submit", () => drafts().forEach(([key]) => store.removeItem(key)));
  });
})();
