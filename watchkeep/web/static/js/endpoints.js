// The endpoint form: it shows the fields of the chosen type only.
(function () {
  "use strict";

  function showType(form) {
    var checked = form.querySelector("input[name=type]:checked");
    if (!checked) return;
    var parts = form.parentNode.querySelectorAll("[data-type]");
    for (var i = 0; i < parts.length; i++) parts[i].hidden = parts[i].dataset.type !== checked.value;
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLInputElement && target.name === "type" && target.form) showType(target.form);
  });

  document.addEventListener("DOMContentLoaded", function () {
    var forms = document.querySelectorAll("form");
    for (var i = 0; i < forms.length; i++) showType(forms[i]);
  });
})();
