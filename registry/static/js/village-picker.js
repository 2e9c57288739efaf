// Village picker: DOPA's villages of the chosen subdistrict, searched by number or name
// (Thai or English). Picking one fills the village number and name and the hidden DOPA code;
// typing the number or name by hand clears the code (the server then matches it to the list,
// or accepts it as an unlisted village for an official to check).
(function () {
  "use strict";
  var picker = document.getElementById("village-picker");
  var form = document.getElementById("survey-form");
  if (!picker || !form) { return; }
  var area = document.getElementById("f-area_code");
  var search = document.getElementById("village-search");
  var results = document.getElementById("village-results");
  var chosen = document.getElementById("village-chosen");
  var code = document.getElementById("f-village_code");
  var number = document.getElementById("f-village_no");
  var name = document.getElementById("f-village_name");
  var timer = null;
  var asked = 0;

  function label(village) {
    var text = picker.dataset.moo + " " + village.number + " " + village.name_th;
    if (village.name_en) { text += " (" + village.name_en + ")"; }
    return text;
  }

  function show(items) {
    results.textContent = "";
    items.forEach(function (village) {
      var item = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "village-choice";
      button.dataset.code = village.code;
      button.textContent = label(village);
      button.addEventListener("click", function () {
        code.value = village.code;
        number.value = String(village.number);
        name.value = village.name_th;
        chosen.textContent = picker.dataset.chosen + " " + label(village) + " · " +
          picker.dataset.codeWord + " " + village.code;
        results.textContent = "";
      });
      item.appendChild(button);
      results.appendChild(item);
    });
    if (!items.length && search.value.trim()) {
      var none = document.createElement("li");
      none.className = "hint";
      none.textContent = picker.dataset.none;
      results.appendChild(none);
    }
  }

  function load() {
    if (!area || !area.value) { picker.hidden = true; return; }
    picker.hidden = false;
    var ticket = ++asked;
    var url = picker.dataset.api + "?subdistrict=" + encodeURIComponent(area.value) +
      "&q=" + encodeURIComponent(search.value.trim());
    fetch(url, { headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { items: [] }; })
      .then(function (body) { if (ticket === asked) { show(body.items || []); } })
      .catch(function () { if (ticket === asked) { show([]); } });
  }

  search.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(load, 200);
  });
  // Enter in the search box searches; it must not send the form half-filled.
  search.addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); load(); }
  });
  if (area) {
    area.addEventListener("change", function () {
      code.value = "";
      chosen.textContent = "";
      load();
    });
  }
  [number, name].forEach(function (input) {
    if (!input) { return; }
    input.addEventListener("input", function () {
      if (code.value) {
        code.value = "";
        chosen.textContent = picker.dataset.typed;
      }
    });
  });
  if (code.value) { chosen.textContent = picker.dataset.codeWord + " " + code.value; }
  load();
})();
