// Forms of the alert and notification pages: the browser's UTC offset for times typed in
// local time, the once/cron parts of a maintenance window, a type switch that loads its
// form, and full local times on timelines.
(function () {
  "use strict";

  function fillOffsets() {
    var offset = String(-new Date().getTimezoneOffset());
    var fields = document.querySelectorAll("input[name=utcOffset]");
    for (var i = 0; i < fields.length; i++) fields[i].value = offset;
  }

  function showRecurring(form) {
    var checked = form.querySelector("input[name=recurring]:checked");
    if (!checked) return;
    var parts = form.querySelectorAll("[data-recurring]");
    for (var i = 0; i < parts.length; i++) {
      parts[i].hidden = parts[i].dataset.recurring !== checked.value;
    }
  }

  function localTimes(root) {
    var times = root.querySelectorAll("time.local");
    for (var i = 0; i < times.length; i++) {
      var date = new Date(times[i].getAttribute("datetime"));
      if (!isNaN(date.getTime())) times[i].textContent = date.toLocaleString();
    }
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLInputElement && target.name === "recurring" && target.form) showRecurring(target.form);
    if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit") && target.form) target.form.submit();
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target instanceof Element) localTimes(event.target);
  });

  document.addEventListener("DOMContentLoaded", function () {
    fillOffsets();
    localTimes(document);
    var forms = document.querySelectorAll("form");
    for (var i = 0; i < forms.length; i++) showRecurring(forms[i]);
  });
})();
