/* "Use my location": ask the browser, then search from that point (the URL keeps the query).
   The form carries the page's own words for a refusal (data-denied) and for a position that
   could not be found (data-unavailable): the browser's messages are English and say nothing
   about what to do next. */
(function () {
  "use strict";
  var form = document.getElementById("search-form");
  var buttons = document.querySelectorAll(".use-location");
  if (!form || !buttons.length) return;
  var place = document.getElementById("place");
  function clear(id) {
    var input = document.getElementById(id);
    if (input) input.value = "";
  }
  function say(text) {
    var old = document.getElementById("location-error");
    if (old) old.remove();
    var message = document.createElement("p");
    message.id = "location-error";
    message.className = "error";
    message.setAttribute("role", "alert");
    message.textContent = text;
    form.appendChild(message);
  }
  Array.prototype.forEach.call(buttons, function (button) {
    if (!("geolocation" in navigator)) { button.hidden = true; return; }
    button.addEventListener("click", function () {
      button.disabled = true;
      navigator.geolocation.getCurrentPosition(function (position) {
        document.getElementById("lat").value = position.coords.latitude.toFixed(6);
        document.getElementById("lon").value = position.coords.longitude.toFixed(6);
        place.value = "";
        var area = document.getElementById("area");
        if (area) area.remove();
        form.submit();
      }, function (error) {
        button.disabled = false;
        say(error.code === 1 ? form.dataset.denied : form.dataset.unavailable);
      }, { enableHighAccuracy: false, timeout: 15000, maximumAge: 300000 });
    });
  });
  // A typed place replaces a previous location search and a picked candidate.
  place.addEventListener("input", function () {
    clear("lat");
    clear("lon");
    var area = document.getElementById("area");
    if (area) area.remove();
  });
})();
