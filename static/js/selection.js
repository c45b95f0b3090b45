// "Meine Leistungen": select all rows of the page, count the selection, and show the bulk bar while rows are chosen.
// Without JavaScript the checkboxes and the bulk form work as before; this only adds the shortcuts.
(function () {
  "use strict";

  function boxes(table) {
    return Array.prototype.slice.call(table.querySelectorAll('tbody input[type="checkbox"][name="auswahl"]'));
  }

  function update() {
    var table = document.getElementById("leistungen");
    if (!table) return;
    var all = boxes(table);
    var chosen = all.filter(function (box) { return box.checked; }).length;
    var selectAll = table.querySelector("[data-select-all] input");
    if (selectAll) {
      selectAll.checked = all.length > 0 && chosen === all.length;
      selectAll.indeterminate = chosen > 0 && chosen < all.length;
    }
    var bar = document.querySelector("[data-bulk-bar]");
    if (bar) {
      bar.hidden = chosen === 0;
      var count = bar.querySelector("[data-selection-count]");
      var text = chosen + " ausgewählt";
      if (count.textContent !== text) count.textContent = text;
    }
  }

  function start() {
    var table = document.getElementById("leistungen");
    if (!table) return;
    var holder = table.querySelector("[data-select-all]");
    if (holder && boxes(table).length) holder.hidden = false;
    document.addEventListener("change", function (event) {
      var target = event.target;
      if (target.closest && target.closest("[data-select-all]")) {
        boxes(table).forEach(function (box) { box.checked = target.checked; });
      }
      update();
    });
    document.addEventListener("click", function (event) {
      var target = event.target.closest ? event.target.closest("button") : null;
      if (!target) return;
      if (target.hasAttribute("data-open-bulk")) {
        var details = document.querySelector("details.bulk-edit");
        if (details) {
          details.open = true;
          details.scrollIntoView({ block: "start" });
          details.querySelector("summary").focus();
        }
      } else if (target.form && target.form.id === "sammelformular" && target.closest("[data-bulk-bar]")) {
        // The bar acts on the chosen rows, whatever the form's own choice of rows says.
        var selected = target.form.querySelector('input[name="sammel-scope"][value="auswahl"]');
        if (selected) selected.checked = true;
      }
    });
    // A row sent back after an edit or a confirmation replaces its checkbox: count again.
    document.body.addEventListener("htmx:afterSwap", update);
    update();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
