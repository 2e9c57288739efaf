// Leaflet's own controls in the page's language, and a metric-only scale bar.
// Runs after leaflet.js and before any map is made; the words come from the page
// (the data-map-text attribute of <html>, translated by Flask-Babel).
(function () {
  if (!window.L) return;
  var words = document.documentElement.getAttribute("data-map-text");
  var text = words ? JSON.parse(words) : {};
  L.Control.Zoom.prototype.options.zoomInTitle = text.zoomIn || "Zoom in";
  L.Control.Zoom.prototype.options.zoomOutTitle = text.zoomOut || "Zoom out";
  L.Control.Scale.prototype.options.imperial = false;
  L.Control.Scale.prototype.options.metric = true;
  // Leaflet's credit stays, without its English tooltip.
  L.Control.Attribution.prototype.options.prefix = "Leaflet";
  // The layers button has no option for its title: set it when the control is added.
  var addLayers = L.Control.Layers.prototype.onAdd;
  L.Control.Layers.prototype.onAdd = function (map) {
    var container = addLayers.call(this, map);
    var toggle = container.querySelector(".leaflet-control-layers-toggle");
    if (toggle && text.layers) {
      toggle.title = text.layers;
      toggle.setAttribute("aria-label", text.layers);
    }
    return container;
  };
})();
