/* Lämna & Hämta web: the staff day page refreshes itself; the evacuation list prints.
   Everything here is an addition: without JavaScript the pages have an "Update" link and the
   browser's own print command.  No inline script (the CSP allows only this file). */
(function () {
  "use strict";

  function setupRefresh(box) {
    var target = document.getElementById(box.getAttribute("data-target"));
    var button = box.querySelector("[data-refresh-toggle]");
    var failed = box.querySelector("[data-refresh-failed]");
    var link = box.querySelector("[data-refresh-link]");
    var seconds = parseInt(box.getAttribute("data-refresh"), 10) || 30;
    if (!target || !button || !link || !window.fetch || !window.DOMParser) {
      return;
    }
    var paused = false;
    var timer = null;

    function busy() {
      // Never swap the table under someone typing a reason or with a form open and filled in.
      var active = document.activeElement;
      if (active && target.contains(active) && /^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(active.tagName)) {
        return true;
      }
      var inputs = target.querySelectorAll("input[type=text]");
      for (var i = 0; i < inputs.length; i++) {
        if (inputs[i].value) {
          return true;
        }
      }
      return false;
    }

    function openDetails() {
      var open = [];
      var all = target.querySelectorAll("details[open][id]");
      for (var i = 0; i < all.length; i++) {
        open.push(all[i].id);
      }
      return open;
    }

    function showFailed(on) {
      if (failed) {
        failed.textContent = on ? box.getAttribute("data-failed") : "";
        failed.hidden = !on;
      }
    }

    function refresh() {
      if (paused || document.hidden || busy()) {
        schedule();
        return;
      }
      // The page's own address (the "Update" link): after a refused form the browser's
      // address is the form's POST address, which cannot be fetched.
      fetch(link.getAttribute("href"), { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (response) {
          if (!response.ok) {
            throw new Error(String(response.status));
          }
          return response.text();
        })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var fresh = doc.getElementById(target.id);
          if (!fresh) {
            throw new Error("no content"); // signed out: the page is the front page now
          }
          if (!busy()) {
            var open = openDetails();
            target.innerHTML = fresh.innerHTML;
            open.forEach(function (id) {
              var d = document.getElementById(id);
              if (d) {
                d.open = true;
              }
            });
          }
          showFailed(false);
        })
        .catch(function () {
          showFailed(true);
        })
        .then(schedule);
    }

    function schedule() {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, seconds * 1000);
    }

    button.addEventListener("click", function () {
      paused = !paused;
      button.setAttribute("aria-pressed", paused ? "true" : "false");
      button.textContent = box.getAttribute(paused ? "data-resume" : "data-pause");
      if (!paused) {
        refresh();
      }
    });
    button.hidden = false;
    schedule();
  }

  function setupPrint(button) {
    if (!window.print) {
      return;
    }
    button.addEventListener("click", function () {
      window.print();
    });
    button.hidden = false;
  }

  var boxes = document.querySelectorAll("[data-refresh]");
  for (var i = 0; i < boxes.length; i++) {
    setupRefresh(boxes[i]);
  }
  var prints = document.querySelectorAll("[data-print]");
  for (var j = 0; j < prints.length; j++) {
    setupPrint(prints[j]);
  }
})();
