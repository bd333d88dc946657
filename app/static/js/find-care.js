// "None of these" and the warning signs exclude each other: ticking one clears the other side.
// Without JavaScript the server decides the same way (any warning sign outranks "None").
document.addEventListener("DOMContentLoaded", function () {
  var form = document.querySelector(".triage-form");
  if (!form) {
    return;
  }
  var none = form.querySelector("input[data-exclusive]");
  var signs = form.querySelectorAll("input[name=sign]:not([data-exclusive])");
  form.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.checked || box.name !== "sign") {
      return;
    }
    if (box === none) {
      signs.forEach(function (s) { s.checked = false; });
    } else if (none) {
      none.checked = false;
    }
  });
});
