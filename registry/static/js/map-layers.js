/* The layers the server-built (Folium) maps add: a legend, the planner's coverage layers and
   the travel-time bands. Python (geo/maps.py, geo/coverage_map.py, geo/travel_map.py) writes
   only the call and the data; every label in the data is escaped there. */
(function () {
  "use strict";

  function legend(map, html) {
    var control = L.control({ position: "bottomleft" });
    control.onAdd = function () {
      var div = L.DomUtil.create("div", "map-legend");
      div.innerHTML = html;
      return div;
    };
    control.addTo(map);
  }

  function points(rows, style) {
    return L.layerGroup(rows.map(function (row) {
      var options = Object.assign({ radius: row[2] }, style);
      return L.circleMarker([row[1], row[0]], options).bindTooltip(row[3]);
    }));
  }

  /* The choropleth, uncovered people, facilities and suggestions, with a layer switcher. */
  function coverage(map, data) {
    var canvas = L.canvas({ padding: 0.5 });
    var areas = L.geoJSON(data.areas, {
      style: function (feature) {
        return { color: "#525252", weight: 0.7, fillColor: feature.properties.fill,
                 fillOpacity: 0.75, className: "coverage-area" };
      },
      onEachFeature: function (feature, layer) {
        layer.bindTooltip(feature.properties.label, { sticky: true });
      }
    });
    var uncovered = points(data.uncovered, { renderer: canvas, color: data.colours.uncovered,
      weight: 0.5, fillColor: data.colours.uncovered, fillOpacity: 0.35 });
    var facilities = points(data.facilities, { renderer: canvas, color: "#ffffff",
      weight: 1, fillColor: data.colours.facility, fillOpacity: 0.95 });
    var suggestions = points(data.suggestions, { color: data.colours.suggestion,
      weight: 4, fillColor: "#ffffff", fillOpacity: 0.9, className: "suggested-site" });
    var overlays = {};
    overlays[data.names.areas] = areas.addTo(map);
    overlays[data.names.uncovered] = uncovered.addTo(map);
    overlays[data.names.facilities] = facilities.addTo(map);
    overlays[data.names.suggestions] = suggestions.addTo(map);
    L.control.layers(null, overlays, { collapsed: false }).addTo(map);
    // Fractional zoom levels let a province fill the map instead of a third of it.
    map.options.zoomSnap = 0.25;
    if (data.bounds) { map.fitBounds(data.bounds); }
  }

  /* Road segments by travel-time band, one layer per band, above the areas. */
  function travelBands(map, data) {
    data.bands.forEach(function (band, index) {
      if (!band.lines.length) { return; }
      L.geoJSON({ type: "MultiLineString", coordinates: band.lines }, {
        style: { color: band.colour, weight: 2, opacity: 0.85,
                 className: "travel-band travel-band-" + index }
      }).bindTooltip(band.label, { sticky: true }).addTo(map);
    });
    if (data.attribution) { map.attributionControl.addAttribution(data.attribution); }
  }

  window.RegistryMapLayers = { legend: legend, coverage: coverage, travelBands: travelBands };
})();
