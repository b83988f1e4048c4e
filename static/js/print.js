// A print button for pages meant to be printed (a household's statement). The policy forbids inline
// handlers, so the button carries data-print and this wires it. Without JavaScript the button stays
// hidden and the browser's own print menu does the same.
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
}());
