// The study admin's "Add another dimension" button: copy the empty row from its
// <template>, give its fields the next index and count it. A static file, not an
// inline script, so the admin runs under the same Content-Security-Policy as the pages.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var button = document.getElementById("add-dimension");
  if (!button) return;
  button.addEventListener("click", function () {
    var total = document.getElementById("id_" + button.dataset.prefix + "-TOTAL_FORMS");
    var index = parseInt(total.value, 10);
    var rows = document.getElementById("dimension-empty-row").content.cloneNode(true);
    rows.querySelectorAll("[name], [id], [for]").forEach(function (field) {
      ["name", "id", "for"].forEach(function (attribute) {
        var value = field.getAttribute(attribute);
        if (value) field.setAttribute(attribute, value.replace(/__prefix__/g, String(index)));
      });
    });
    document.getElementById("dimension-rows").append(rows);
    total.value = index + 1;
  });
});
