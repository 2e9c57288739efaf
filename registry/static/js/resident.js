/* "Use my location": ask the browser, then search from that point (the URL keeps the query). */
(function () {
  "use strict";
  var button = document.getElementById("use-location");
  var form = document.getElementById("search-form");
  if (!button || !form) return;
  if (!("geolocation" in navigator)) { button.hidden = true; return; }
  button.addEventListener("click", function () {
    button.disabled = true;
    navigator.geolocation.getCurrentPosition(function (position) {
      document.getElementById("lat").value = position.coords.latitude.toFixed(6);
      document.getElementById("lon").value = position.coords.longitude.toFixed(6);
      document.getElementById("place").value = "";
      form.submit();
    }, function (error) {
      button.disabled = false;
      var message = document.createElement("p");
      message.className = "error";
      message.setAttribute("role", "alert");
      message.textContent = button.dataset.denied || error.message;
      form.appendChild(message);
    }, { enableHighAccuracy: false, timeout: 15000, maximumAge: 300000 });
  });
  // A typed place replaces a previous location search.
  document.getElementById("place").addEventListener("input", function () {
    document.getElementById("lat").value = "";
    document.getElementById("lon").value = "";
  });
})();
