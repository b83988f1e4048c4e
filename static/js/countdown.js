// Counts down the hold on an unpaid order. The page already says, from the server, until when the
// items are held and how many minutes are left; this only ticks the seconds. It counts from the
// server's number of seconds left, so a wrong clock on the phone does not matter.
(function () {
  "use strict";
  document.querySelectorAll("[data-countdown]").forEach(function (box) {
    var end = Date.now() + parseInt(box.getAttribute("data-seconds-left"), 10) * 1000;
    var out = box.querySelector(".hold-left");
    function tick() {
      var left = Math.max(Math.round((end - Date.now()) / 1000), 0);
      if (left === 0) {
        out.textContent = box.getAttribute("data-over");
        box.classList.add("hold-soon");
        return;
      }
      out.textContent = box.getAttribute("data-left").replace("{m}", String(Math.floor(left / 60)))
        .replace("{s}", String(left % 60));
      if (left < 300) { box.classList.add("hold-soon"); }
      window.setTimeout(tick, 1000);
    }
    tick();
  });
}());
