// Print buttons (<button data-print>): a click handler here rather than onclick="window.print()", which the
// Content Security Policy (script-src 'self', no inline scripts) blocks.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-print]") : null;
    if (button) {
      event.preventDefault();
      window.print();
    }
  });
})();
