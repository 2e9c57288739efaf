// The edit form's map: a draggable point bound to the latitude and longitude inputs.
// Tap the map to place the point, drag it to move it; typing coordinates moves it too.
(function () {
  var box = document.getElementById("edit-map");
  if (!box || !window.L) return;
  var lat = document.getElementById("lat"), lon = document.getElementById("lon");
  var start = [parseFloat(lat.value), parseFloat(lon.value)];
  var placed = isFinite(start[0]) && isFinite(start[1]);
  var map = L.map(box).setView(placed ? start : [13.0, 101.0], placed ? 16 : 6);
  L.control.scale().addTo(map); // metric only (leaflet-locale.js)
  if (box.dataset.tiles) {
    L.tileLayer(box.dataset.tiles, { maxZoom: 19, attribution: "© OpenStreetMap" }).addTo(map);
  }
  var icon = L.divIcon({ className: "edit-marker", iconSize: [22, 22], iconAnchor: [11, 11] });
  var marker = null;
  var readOnly = box.dataset.readOnly === "1"; // a site this account cannot change
  function write(latlng) {
    lat.value = latlng.lat.toFixed(6);
    lon.value = latlng.lng.toFixed(6);
  }
  function place(latlng) {
    if (marker) { marker.setLatLng(latlng); return; }
    marker = L.marker(latlng, { draggable: !readOnly, icon: icon, keyboard: !readOnly }).addTo(map);
    marker.on("dragend", function () { write(marker.getLatLng()); });
  }
  if (placed) place(start);
  if (!readOnly) map.on("click", function (event) { place(event.latlng); write(event.latlng); });
  function typed() {
    var point = [parseFloat(lat.value), parseFloat(lon.value)];
    if (isFinite(point[0]) && isFinite(point[1])) { place(point); map.panTo(point); }
  }
  lat.addEventListener("change", typed);
  lon.addEventListener("change", typed);
  box.dataset.ready = "1";
})();
