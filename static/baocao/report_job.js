/* The progress bar of a report computed in the background (issue 9 item 7), no framework.
   Markup: templates/baocao/_report_job.html — an element with data-report-job="<status URL>"
   holding [data-role=bar|status|percent|download|error]. Polls the JSON status every 2 s
   (backing off to 10 s) until the job is done or failed. */
(function () {
  "use strict";

  function part(box, role) { return box.querySelector('[data-role="' + role + '"]'); }

  function show(box, state) {
    var bar = part(box, "bar");
    if (bar) { bar.value = state.progress; bar.textContent = state.progress + " %"; }
    part(box, "status").textContent = state.status_label;
    part(box, "percent").textContent = state.progress + " %";
    var download = part(box, "download");
    if (state.download_url) {
      download.querySelector("a").href = state.download_url;
      download.hidden = false;
    }
    var error = part(box, "error");
    if (state.error) { error.textContent = state.error; error.hidden = false; }
  }

  function poll(box, delay) {
    var request = new XMLHttpRequest();
    request.open("GET", box.getAttribute("data-report-job"));
    request.setRequestHeader("Accept", "application/json");
    request.onload = function () {
      var state;
      try { state = JSON.parse(request.responseText); } catch (e) { state = null; }
      if (request.status !== 200 || !state) {
        var error = part(box, "error");
        error.textContent = (state && state.detail) || "Không lấy được tình trạng báo cáo.";
        error.hidden = false;
        return;
      }
      show(box, state);
      if (!state.finished) {
        window.setTimeout(function () { poll(box, Math.min(delay * 1.5, 10000)); }, delay);
      }
    };
    request.onerror = function () {
      window.setTimeout(function () { poll(box, Math.min(delay * 2, 10000)); }, delay);
    };
    request.send();
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-report-job]"), function (box) {
      if (box.getAttribute("data-polling")) { return; }
      box.setAttribute("data-polling", "1");
      poll(box, 2000);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
