// Long text fields: a browser silently cuts what is pasted beyond a textarea's maxlength. Here the
// limit is shown as a count instead ("1,850 / 2,000"), turning red beyond it, and the server's
// message beside the field refuses the text with all of it kept, so nothing typed is lost.
(function () {
  document.querySelectorAll("textarea[maxlength]").forEach((area) => {
    const limit = area.maxLength;
    area.removeAttribute("maxlength");
    const count = document.createElement("div");
    count.className = "form-text text-end";
    count.setAttribute("aria-live", "polite");
    const show = () => {
      const used = area.value.length;
      count.textContent = `${used.toLocaleString()} / ${limit.toLocaleString()} characters`;
      count.classList.toggle("text-danger", used > limit);
    };
    area.addEventListener("input", show);
    area.insertAdjacentElement("afterend", count);
    show();
  });
})();
