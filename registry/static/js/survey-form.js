// Survey form: running totals as counts are typed (Thai digits too), and "use where I am".
(function () {
  "use strict";
  var script = document.getElementById("survey-script");
  var form = document.getElementById("survey-form");
  if (!form || !script) { return; }
  var thai = "๐๑๒๓๔๕๖๗๘๙";

  function number(text) {
    var ascii = "";
    for (var i = 0; i < text.length; i++) {
      var at = thai.indexOf(text[i]);
      ascii += at >= 0 ? String(at) : text[i];
    }
    var value = parseInt(ascii.replace(/[,\s]/g, ""), 10);
    return isNaN(value) ? 0 : value;
  }

  function update() {
    var sums = { residents: 0, unvaccinated: 0 };
    form.querySelectorAll("[data-count]").forEach(function (input) {
      var kind = input.getAttribute("data-count").split("_")[0];
      sums[kind] += number(input.value);
    });
    var out = document.getElementById("sums");
    if (out) {
      out.textContent = script.dataset.total + ": " + script.dataset.living + " " +
        sums.residents.toLocaleString() + " · " + script.dataset.unvaccinated + " " +
        sums.unvaccinated.toLocaleString();
    }
  }

  form.addEventListener("input", update);
  update();

  var locate = document.getElementById("use-location");
  if (locate && navigator.geolocation) {
    locate.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (position) {
        form.querySelector("[name=lat]").value = position.coords.latitude.toFixed(6);
        form.querySelector("[name=lon]").value = position.coords.longitude.toFixed(6);
      });
    });
  } else if (locate) {
    locate.hidden = true;
  }
}());
