// NIR og Bosetting: small progressive enhancements on top of htmx. Every page works without it.
// After htmx swaps in a form or a section, move the keyboard focus to it (WCAG 2.4.3), so that
// a screen reader user hears what changed. On afterSettle, not afterSwap: htmx binds the new
// content's own hx- attributes in its settle step, and a form focused before that and sent at once
// (Enter) went as a plain POST to the form's page instead of back into its place.
document.addEventListener("htmx:afterSettle", function (event) {
  var target = event.detail.target;
  if (!target) { return; }
  var focus = target.querySelector("[data-autofocus]") || target.querySelector("[role=alert]");
  if (focus) {
    if (!focus.hasAttribute("tabindex") && !/^(INPUT|SELECT|TEXTAREA|BUTTON|A)$/.test(focus.tagName)) {
      focus.setAttribute("tabindex", "-1");
    }
    focus.focus();
  }
});
// "Avbryt" in a form loaded by htmx: remove the form and give the focus back to its "+ Legg til".
document.addEventListener("click", function (event) {
  var cancel = event.target.closest("[data-nir-cancel]");
  if (!cancel) { return; }
  var slot = document.getElementById(cancel.getAttribute("data-nir-cancel"));
  if (!slot) { return; }
  event.preventDefault();
  slot.innerHTML = "";
  var opener = document.querySelector("[aria-controls='" + slot.id + "']");
  if (opener) { opener.focus(); }
});
