/* Directory enhancements: instant filter updates.
 *
 * Everything works without this file: the filter form has an Apply button. Nothing here
 * moves or folds the page after it is drawn (the results come first in the page on
 * phones, and the filter panel is laid out by CSS alone), so the page never shifts.
 */
(function () {
  "use strict";

  var FOCUS_KEY = "directory:refocus";

  function store(value) {
    try { window.sessionStorage.setItem(FOCUS_KEY, value); } catch (e) { /* private mode */ }
  }

  function take() {
    try {
      var value = window.sessionStorage.getItem(FOCUS_KEY);
      window.sessionStorage.removeItem(FOCUS_KEY);
      return value;
    } catch (e) {
      return null;
    }
  }

  /* After an automatic submit, put focus back on the control the person just changed. */
  function restoreFocus() {
    var saved = take();
    if (!saved) return false;
    var parts = saved.split("\n");
    var form = document.getElementById(parts[0]);
    if (!form) return false;
    var match = Array.prototype.find.call(form.elements, function (el) {
      return el.name === parts[1] && (el.type === "select-one" || el.value === parts[2]);
    });
    if (!match) return false;
    var details = match.closest("details");
    while (details) {
      details.open = true;
      details = details.parentElement && details.parentElement.closest("details");
    }
    match.focus();
    return true;
  }

  document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
    if (!form.id) return;
    /* The note's room is kept from the first paint; showing it moves nothing. */
    var note = form.querySelector(".autosubmit-note");
    if (note) note.removeAttribute("aria-hidden");
    form.classList.add("autosubmit-on");
    form.addEventListener("change", function (event) {
      var el = event.target;
      if (!el || !el.name) return;
      store([form.id, el.name, el.value].join("\n"));
      if (typeof form.requestSubmit === "function") form.requestSubmit();
      else form.submit();
    });
  });

  /* A search that could not run: move focus to the message so it is read first. */
  var problem = document.getElementById("search-error");
  if (problem) problem.focus();

  if (!problem) restoreFocus();
})();
