// Text fields: a browser silently cuts what is pasted beyond a field's maxlength. Here the
// limit is shown as a count instead ("1,850 / 2,000"), turning red beyond it, and the server's
// message beside the field refuses the text with all of it kept, so nothing typed is lost.
//
// Counted as the server counts (records.forms.LongTextField): white space around the text is
// not kept, a line break is one character (the server stores the browser's CR LF as LF), and
// each character counts once, even those that take two UTF-16 units (emoji), which `.length`
// would count twice.
(function () {
  const counted = (value) => Array.from(value.trim()).length;
  // Numbers written as the server's message writes them ("2,000"), whatever the browser's locale.
  const number = (n) => n.toLocaleString("en-GB");
  // The field's limit becomes a count beside it: always, or once four fifths of it are used.
  function counter(field, { always }) {
    const limit = field.maxLength;
    field.removeAttribute("maxlength");
    const count = document.createElement("div");
    count.className = "form-text text-end";
    count.setAttribute("aria-live", "polite");
    const show = () => {
      const used = counted(field.value);
      const shown = always || used > limit * 0.8;
      count.textContent = shown ? `${number(used)} / ${number(limit)} characters` : "";
      count.classList.toggle("text-danger", used > limit);
    };
    field.addEventListener("input", show);
    field.insertAdjacentElement("afterend", count);
    show();
  }
  // A one-line field (a verbatim term, a kit number) is not cut either: beyond its limit the
  // server refuses it beside the field with all of it kept; its count shows once it is near.
  document
    .querySelectorAll("input[maxlength]:not([type=password])")
    .forEach((input) => counter(input, { always: false }));
  document.querySelectorAll("textarea[maxlength]").forEach((area) => counter(area, { always: true }));
})();
