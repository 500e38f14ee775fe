/* Periodic reporting (issue 10): small helpers; every page works without them.
   - a button with data-confirm asks before submitting (submit to the leader: values freeze);
   - "Thêm dòng" on the form definition copies the empty line of a formset (Django's
     __prefix__ template) and raises its TOTAL_FORMS;
   - the assignment page shows the fields of the chosen way to pick agencies. */
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  Array.prototype.forEach.call(document.querySelectorAll("[data-add-line]"), function (button) {
    var prefix = button.getAttribute("data-add-line");
    var template = document.getElementById(prefix + "-empty");
    var body = document.getElementById(prefix + "-lines");
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    if (!template || !body || !total) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      var html = template.innerHTML.replace(/__prefix__/g, String(index));
      body.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
    });
  });

  var scopes = document.querySelectorAll("input[name=scope]");
  function showScope() {
    var chosen = document.querySelector("input[name=scope]:checked");
    Array.prototype.forEach.call(document.querySelectorAll("[data-scope]"), function (box) {
      box.hidden = chosen !== null && box.getAttribute("data-scope") !== chosen.value;
    });
  }
  Array.prototype.forEach.call(scopes, function (input) {
    input.addEventListener("change", showScope);
  });
  if (scopes.length) { showScope(); }
})();
