// Sorting and filtering of the league table, offline: no library, nothing fetched.
(function () {
  "use strict";
  var table = document.getElementById("liga");
  if (!table) { return; }
  var body = table.tBodies[0];
  // Accent- and case-insensitive text, so "publicas" finds "Públicas".
  function plain(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  function value(row, key) {
    var v = row.getAttribute("data-" + key);
    if (v === null || v === "") { return null; }
    var n = Number(v);
    return isNaN(n) ? plain(v) : n;
  }
  Array.prototype.forEach.call(table.tHead.querySelectorAll("th[data-key] button"), function (button) {
    button.addEventListener("click", function () {
      var th = button.parentNode;
      var key = th.getAttribute("data-key");
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(table.tHead.querySelectorAll("th[data-key]"), function (other) {
        other.removeAttribute("aria-sort");
      });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = value(a, key), y = value(b, key);
        // Rows without a value ("sin datos") stay at the bottom either way.
        if (x === null && y === null) { return 0; }
        if (x === null) { return 1; }
        if (y === null) { return -1; }
        var c = x < y ? -1 : x > y ? 1 : 0;
        return ascending ? c : -c;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
  var filter = document.getElementById("filtro");
  var count = document.getElementById("conteo");
  function apply() {
    var q = plain(filter.value.trim());
    var shown = 0;
    Array.prototype.forEach.call(body.rows, function (row) {
      var match = q === "" || plain(row.textContent).indexOf(q) !== -1;
      row.hidden = !match;
      if (match) { shown += 1; }
    });
    if (count) { count.textContent = String(shown); }
    var label = document.getElementById("conteo-texto");
    var noun = document.getElementById("conteo-nombre");
    if (label && noun) {
      noun.textContent = label.getAttribute(shown === 1 ? "data-uno" : "data-varios");
    }
  }
  if (filter) {
    filter.addEventListener("input", apply);
    apply();
  }
})();
