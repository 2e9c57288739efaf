/* Loads the sites or cluster cells of the current map view from the registry API.
   Everything is drawn on one canvas; names come from the API only when a site is clicked,
   and are inserted as text, never as HTML. */
(function () {
  "use strict";

  function text(tag, value, className) {
    var element = document.createElement(tag);
    element.textContent = value;
    if (className) element.className = className;
    return element;
  }

  window.RegistryViewportLayer = L.Layer.extend({
    initialize: function (options) {
      this.options = options;
      this.renderer = L.canvas({ padding: 0.2 });
      this.group = L.layerGroup();
      this.enabledTypes = {};
      var self = this;
      Object.keys(options.types).forEach(function (t) { self.enabledTypes[t] = true; });
      this.requestNumber = 0;
    },

    onAdd: function (map) {
      this.map = map;
      this.group.addTo(map);
      this.addTypeControl(map);
      map.on("moveend", this.refresh, this);
      this.refresh();
    },

    onRemove: function (map) {
      map.off("moveend", this.refresh, this);
      this.group.remove();
    },

    addTypeControl: function (map) {
      var self = this;
      var control = L.control({ position: "topright" });
      control.onAdd = function () {
        var box = L.DomUtil.create("div", "map-types");
        L.DomEvent.disableClickPropagation(box);
        Object.keys(self.options.types).forEach(function (t) {
          var label = document.createElement("label");
          var input = document.createElement("input");
          input.type = "checkbox";
          input.checked = true;
          input.value = t;
          input.addEventListener("change", function () {
            self.enabledTypes[t] = input.checked;
            self.refresh();
          });
          label.appendChild(input);
          label.appendChild(document.createTextNode(" " + self.options.types[t]));
          box.appendChild(label);
        });
        return box;
      };
      control.addTo(map);
    },

    refresh: function () {
      var self = this;
      var bounds = this.map.getBounds();
      var types = Object.keys(this.enabledTypes).filter(function (t) { return self.enabledTypes[t]; });
      var container = this.map.getContainer();
      if (types.length === 0) {
        this.group.clearLayers();
        container.dataset.loadedMode = "none";
        container.dataset.loadedCount = "0";
        return;
      }
      var clamp = function (v, lo, hi) { return Math.max(lo, Math.min(hi, v)); };
      var bbox = [
        clamp(bounds.getWest(), -180, 179.9), clamp(bounds.getSouth(), -90, 89.9),
        clamp(bounds.getEast(), -179.9, 180), clamp(bounds.getNorth(), -89.9, 90)
      ].map(function (v) { return v.toFixed(5); }).join(",");
      var url = this.options.url + "?bbox=" + bbox + "&zoom=" + this.map.getZoom() +
        "&type=" + types.join(",");
      var number = ++this.requestNumber;
      fetch(url).then(function (r) { return r.json(); }).then(function (body) {
        if (number !== self.requestNumber) return;  // a newer view is on its way
        self.draw(body);
        container.dataset.loadedMode = body.mode;
        container.dataset.loadedCount = String(body.total);
      }).catch(function () {
        container.dataset.loadedMode = "error";
      });
    },

    draw: function (body) {
      var self = this;
      var colours = this.options.colours;
      this.group.clearLayers();
      if (body.mode === "clusters") {
        body.clusters.forEach(function (c) {
          var share = c[2] ? c[3] / c[2] : 0;
          var radius = 8 + Math.min(22, Math.sqrt(c[2]) * 1.5);
          var marker = L.circleMarker([c[1], c[0]], {
            renderer: self.renderer, radius: radius, weight: 2, color: "#ffffff",
            fillColor: share >= 0.5 ? colours.open : colours.unconfirmed, fillOpacity: 0.85
          });
          marker.bindTooltip(String(c[2]), { permanent: true, direction: "center",
                                             className: "cluster-count" });
          marker.on("click", function () { self.map.setView([c[1], c[0]], self.map.getZoom() + 2); });
          self.group.addLayer(marker);
        });
        return;
      }
      body.points.forEach(function (p) {
        var status = body.statuses[p[4]];
        var marker = L.circleMarker([p[2], p[1]], {
          renderer: self.renderer, radius: 6, weight: 1, color: "#ffffff",
          fillColor: colours[status] || colours.unconfirmed, fillOpacity: 0.95
        });
        marker.on("click", function () { self.openSite(marker, p[0], status); });
        self.group.addLayer(marker);
      });
    },

    // The popup says the status in words (the colour alone tells nothing to many people) and
    // the type; every value goes in as text, never as HTML.
    openSite: function (marker, id, status) {
      var self = this;
      fetch(this.options.api_facility_url + id).then(function (r) {
        return r.json();
      }).then(function (feature) {
        var props = feature.properties;
        var box = document.createElement("div");
        var name = self.options.language === "en" && props.name_en ? props.name_en : props.name_th;
        box.appendChild(text("strong", name));
        box.appendChild(document.createElement("br"));
        box.appendChild(text("span", self.options.types[props.type] || props.type, "popup-type"));
        box.appendChild(document.createTextNode(" · "));
        var label = (self.options.statuses || {})[status] || status;
        box.appendChild(text("span", label, "badge status-" + status));
        box.appendChild(document.createElement("br"));
        var link = text("a", self.options.language === "en" ? "Details" : "รายละเอียด");
        link.href = self.options.facility_url + props.id;
        box.appendChild(link);
        marker.bindPopup(box).openPopup();
      });
    }
  });
})();
