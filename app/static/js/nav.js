/* The phone menu: the "Menu" button opens and closes the main navigation list.
 *
 * Without JavaScript the list is simply shown (site.css, `scripting: none`). With it, the
 * stylesheet already draws the button and hides the list on the first paint (`scripting:
 * enabled`), so this file only wires the button: nothing moves when it runs.
 */
(function () {
  "use strict";

  var button = document.querySelector(".site-nav .nav-toggle");
  if (!button) return;
  var nav = button.closest("nav");

  function isOpen() {
    return button.getAttribute("aria-expanded") === "true";
  }

  function setOpen(open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
  }

  button.addEventListener("click", function () {
    setOpen(!isOpen());
  });

  /* Escape closes the menu and returns focus to its button. */
  nav.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && isOpen()) {
      setOpen(false);
      button.focus();
    }
  });

  /* The open list covers the top of the page: close it when focus moves on past it. */
  nav.addEventListener("focusout", function (event) {
    if (isOpen() && event.relatedTarget && !nav.contains(event.relatedTarget)) setOpen(false);
  });

  /* A click or tap outside the open menu closes it. */
  document.addEventListener("click", function (event) {
    if (isOpen() && !nav.contains(event.target)) setOpen(false);
  });
})();
