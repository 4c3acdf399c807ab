/* The one map script. Every map page is a shell: folium builds the Leaflet map and nothing else
   (window.transitreqMap). This script reads the page's map configuration (a JSON block the
   server wrote with its JSON encoder), adds the background tiles and the layer switcher, loads
   each data layer for the area in view from /api/layers/*, and draws the page's own marks.

   The map is one stop on the Tab key's way through the page: it takes focus with a name (arrow
   keys pan it, + and - zoom) and the shapes drawn on it do not, so the keyboard reaches the
   form beside it in a few presses. A legend beside the map joins the map's controls, so that
   none covers another.

   Every text that reaches the map — titles residents typed, stop names from a feed, the names of
   service areas — is set through textContent or given to Leaflet as a DOM node, never as HTML,
   and never passes through a template engine. Page scripts (request_form.js, review_map.js,
   planner_map.js) use the helpers published as window.TransitMap. */
(function () {
  "use strict";
  var map = window.transitreqMap;
  var configNode = document.getElementById("map-config");
  if (!map || !configNode) { return; }
  var config = JSON.parse(configNode.textContent);
  var messages = config.messages || {};
  var layers = {};
  var notes = {};
  var calls = {};
  // Which layers show bubbles of several points at this zoom (the note explains them).
  var clustered = {};
  var moveTimer = null;
  var container = map.getContainer();
  // Where the map opened: the service area, framed by the server; "back" returns here.
  var openingView = { centre: map.getCenter(), zoom: map.getZoom() };

  /* A message from the page's catalogue, with {name} placeholders filled in as plain text. */
  function t(key, values) {
    var text = Object.prototype.hasOwnProperty.call(messages, key) ? messages[key] : key;
    return text.replace(/\{(\w+)\}/g, function (whole, name) {
      return values && Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }

  /* The plural form of a counted message: key.one or key.other, as the catalogue gives them. */
  function tn(key, count, values) {
    var form = count === 1 ? key + ".one" : key + ".other";
    var filled = Object.assign({ count: formatNumber(count) }, values || {});
    return t(form, filled);
  }

  function formatNumber(value) {
    return Number(value).toLocaleString(config.locale || undefined);
  }

  function element(tag, className, content) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (content !== undefined && content !== null) { node.textContent = String(content); }
    return node;
  }

  function getJson(url) {
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, status: response.status, body: body }; });
      });
  }

  /* The map's view as min_lon,min_lat,max_lon,max_lat, clamped to the globe. */
  function bboxParam() {
    var bounds = map.getBounds();
    var clamp = function (value, limit) { return Math.max(-limit, Math.min(limit, value)); };
    return [clamp(bounds.getWest(), 180), clamp(bounds.getSouth(), 90),
            clamp(bounds.getEast(), 180), clamp(bounds.getNorth(), 90)]
      .map(function (value) { return value.toFixed(6); }).join(",");
  }

  /* Leaflet's own controls in the page's language: the zoom buttons' names, the popups' close
     button, and the credit without its English tooltip. The scale bar is metric only: every
     distance on our pages is in metres, and "ft" or "mi" would be English on a Chinese page.
     Added first, so the notes and the legend stack above it. */
  L.control.scale({ imperial: false }).addTo(map);
  [["in", "map.zoom_in"], ["out", "map.zoom_out"]].forEach(function (pair) {
    var button = container.querySelector(".leaflet-control-zoom-" + pair[0]);
    if (button) {
      button.title = t(pair[1]);
      button.setAttribute("aria-label", t(pair[1]));
    }
  });
  map.on("popupopen", function (event) {
    var close = event.popup.getElement().querySelector(".leaflet-popup-close-button");
    if (close) { close.setAttribute("aria-label", t("map.close_popup")); close.title = t("map.close_popup"); }
  });
  if (map.attributionControl) { map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>'); }

  /* A note on the map saying why a layer shows nothing (or less than everything). */
  var noteControl = L.control({ position: "bottomleft" });
  noteControl.onAdd = function () {
    var box = element("div", "map-notes");
    box.setAttribute("aria-live", "polite");
    L.DomEvent.disableClickPropagation(box);
    return box;
  };
  noteControl.addTo(map);

  function setNote(layerName, text) {
    // Unchanged, it is left as it is: the box is read aloud whenever its words are replaced.
    if ((notes[layerName] || "") === (text || "")) { return; }
    if (text) { notes[layerName] = text; } else { delete notes[layerName]; }
    var box = noteControl.getContainer();
    box.replaceChildren.apply(box, Object.keys(notes).map(function (name) {
      return element("p", "map-note", notes[name]);
    }));
  }

  /* The map itself is a keyboard stop with a name; Leaflet makes it focusable. */
  container.setAttribute("role", "application");
  container.setAttribute("aria-roledescription", t("map.role"));
  container.setAttribute("aria-label", t("map.label"));

  /* Shapes on the map stay out of the Tab order. Chromium makes an SVG shape focusable as soon
     as it listens for focus, which Leaflet's tooltips do, and a cluster of requests is a
     marker; only a marker made for the keyboard (a page's own pin) keeps its place. */
  function keepOutOfTabOrder(layer) {
    var cluster = L.MarkerCluster && layer instanceof L.MarkerCluster;
    if (layer instanceof L.Marker && layer.options.keyboard && !cluster) { return; }
    var node = layer.getElement ? layer.getElement() : null;
    if (node) { node.setAttribute("tabindex", "-1"); }
  }
  map.on("layeradd", function (event) { keepOutOfTabOrder(event.layer); });

  /* Requests clustered in the browser (the planners' queue map, which loads every match). */
  function clusterGroup() {
    return L.markerClusterGroup({ maxClusterRadius: 40, disableClusteringAtZoom: 16 });
  }

  /* The page's legend (a .legend beside the map) as a control in the bottom-left corner, above
     the scale bar: Leaflet stacks controls, so it covers neither the scale nor the attribution. */
  var legend = container.parentNode.querySelector(":scope > .legend");
  if (legend) {
    var legendControl = L.control({ position: "bottomleft" });
    legendControl.onAdd = function () {
      L.DomEvent.disableClickPropagation(legend);
      L.DomEvent.disableScrollPropagation(legend);
      return legend;
    };
    legendControl.addTo(map);
  }

  if (config.tiles) {
    L.tileLayer(config.tiles.url, { attribution: config.tiles.attribution, maxZoom: 19 }).addTo(map);
  }

  var layerControl = L.control.layers(null, null, { collapsed: true, position: "topright" }).addTo(map);
  var toggle = layerControl.getContainer().querySelector(".leaflet-control-layers-toggle");
  if (toggle) {
    toggle.setAttribute("role", "button");
    toggle.setAttribute("aria-label", t("map.layers"));
    toggle.title = t("map.layers");
  }

  function addOverlay(name, layer, label, shown) {
    layers[name] = layer;
    layerControl.addOverlay(layer, label);
    if (shown !== false) { layer.addTo(map); }
    return layer;
  }

  /* Styles of the page's own marks, by kind: the evaluated site, a resident's pin, a project. */
  var MARK_STYLES = {
    "site": { radius: 10, color: "#ffffff", weight: 3, fillColor: "#b35900", fillOpacity: 1, className: "evaluated-site" },
    "request": { radius: 11, color: "#ffffff", weight: 3, fillOpacity: 1, className: "request-marker" },
    "project": { radius: 11, color: "#ffffff", weight: 3, fillColor: "#0b7a55", fillOpacity: 1, className: "project-site" },
    "linked-request": { radius: 7, color: "#ffffff", weight: 2, fillColor: "#5d6d7e", fillOpacity: 0.9, className: "linked-request-marker" },
    "stop": { radius: 6, color: "#1b2631", weight: 2, fillColor: "#ffffff", fillOpacity: 1, className: "nearest-stop-marker" }
  };

  function drawMark(mark, group) {
    var style = Object.assign({}, MARK_STYLES[mark.kind] || MARK_STYLES.site);
    if (mark.colour) { style.fillColor = mark.colour; }
    var marker = L.circleMarker([mark.lat, mark.lon], style);
    marker.bindTooltip(element("span", "", mark.label));
    marker.addTo(group);
    return marker;
  }

  function drawCircle(circle, group) {
    var shape = L.circle([circle.lat, circle.lon], {
      radius: circle.radius_m, color: "#17202a", weight: 2, dashArray: "6 6",
      fillOpacity: circle.fill_opacity === undefined ? 0.06 : circle.fill_opacity,
      className: circle.class_name || "catchment", interactive: Boolean(circle.label)
    });
    if (circle.label) { shape.bindTooltip(element("span", "", circle.label)); }
    shape.addTo(group);
    return shape;
  }

  /* A shape the page draws over its circles: a walking area (GeoJSON). */
  function drawArea(area, group) {
    var shape = L.geoJSON(area.geometry, {
      interactive: Boolean(area.label),
      style: function () {
        return { color: "#0b6e4f", weight: 1.5, fillColor: "#1a9e75", fillOpacity: 0.28, className: area.class_name || "walking-area" };
      }
    });
    if (area.label) { shape.bindTooltip(element("span", "", area.label)); }
    shape.addTo(group);
    return shape;
  }

  function routeTooltip(properties) {
    return element("span", "", t("route.tooltip", { name: properties.name, mode: t("mode." + properties.mode) }));
  }

  /* A bubble the server counted: several requests (or stops) in one cell of its grid, with how
     many. A click zooms to the box they span, far enough that the bubble splits. Like every
     shape it is no Tab stop (the map is one); the keyboard zooms with + and the note below the
     map says what the numbers are. */
  function clusterMarker(feature, kind) {
    var properties = feature.properties;
    var coordinates = feature.geometry.coordinates;
    var label = tn("cluster." + kind, properties.count);
    var size = Math.round(28 + 8 * Math.log10(properties.count));
    var marker = L.marker([coordinates[1], coordinates[0]], {
      keyboard: false,
      icon: L.divIcon({
        className: "map-cluster cluster-" + kind,
        html: element("span", "", formatNumber(properties.count)),
        iconSize: [size, size]
      })
    });
    marker.on("add", function () {
      var node = marker.getElement();
      node.setAttribute("role", "img");
      node.setAttribute("aria-label", label);
    });
    marker.bindTooltip(element("span", "", label));
    marker.on("click", function () { zoomIntoCluster(properties.bounds, marker.getLatLng()); });
    return marker;
  }

  function zoomIntoCluster(bounds, centre) {
    var box = L.latLngBounds([bounds[1], bounds[0]], [bounds[3], bounds[2]]);
    var fitted = map.getBoundsZoom(box, false, L.point(40, 40));
    var zoom = Math.min(Math.max(fitted, map.getZoom() + 1), map.getMaxZoom());
    map.setView(bounds[0] === bounds[2] && bounds[1] === bounds[3] ? centre : box.getCenter(), zoom);
  }

  /* A point layer's answer at a zoom: its bubbles, and the features shown one by one. */
  function drawPoints(group, body, kind, drawFeatures) {
    var alone = body.features.filter(function (feature) { return !feature.properties.cluster; });
    body.features.forEach(function (feature) {
      if (feature.properties.cluster) { clusterMarker(feature, kind).addTo(group); }
    });
    drawFeatures(group, { type: "FeatureCollection", features: alone });
    return Boolean(body.clustered);
  }

  /* Data layers, each loaded for the view (and its zoom) from its endpoint. */
  var DATA_LAYERS = {
    service_areas: {
      url: "/api/layers/service-areas",
      wholeCity: true,
      make: function () { return L.featureGroup(); },
      draw: function (group, body) {
        L.geoJSON(body, {
          interactive: false,
          style: function () { return { color: "#4d5b68", weight: 2, dashArray: "2 6", fill: false, className: "service-area-boundary" }; }
        }).addTo(group);
      }
    },
    routes: {
      url: "/api/layers/routes",
      zoomed: true,
      make: function () { return L.featureGroup(); },
      draw: function (group, body) {
        L.geoJSON(body, {
          style: function (feature) {
            var mode = feature.properties.mode;
            return {
              color: feature.properties.colour, weight: mode === "bus" ? 4 : 5, opacity: 0.8,
              dashArray: mode === "rail" ? "10 6" : (mode === "metro" ? "2 6" : null),
              className: "route-line mode-" + mode
            };
          },
          onEachFeature: function (feature, layer) { layer.bindTooltip(routeTooltip(feature.properties), { sticky: true }); }
        }).addTo(group);
      }
    },
    stops: {
      url: "/api/layers/stops",
      zoomed: true,
      make: function () { return L.featureGroup(); },
      draw: function (group, body) { return drawPoints(group, body, "stops", drawStops); }
    },
    new_stops: {
      url: "/api/layers/new-stops",
      zoomed: true,
      make: function () { return L.featureGroup(); },
      draw: function (group, body) { return drawPoints(group, body, "new_stops", drawNewStops); }
    },
    requests: {
      url: "/api/layers/requests",
      zoomed: true,
      make: function () { return L.featureGroup(); },
      draw: function (group, body) {
        return drawPoints(group, body, "requests", function (target, alone) {
          alone.features.map(requestMarker).forEach(function (marker) { marker.addTo(target); });
        });
      }
    }
  };

  function drawStops(group, body) {
    L.geoJSON(body, {
      pointToLayer: function (feature, latlng) {
        // A metro or rail station stands out from the bus and tram stops around it.
        var station = feature.properties.modes.some(function (mode) { return mode === "metro" || mode === "rail"; });
        return L.circleMarker(latlng, station
          ? { radius: 7, color: "#1b2631", weight: 4, fillColor: "#ffffff", fillOpacity: 1, className: "stop-marker station-marker" }
          : { radius: 5, color: "#1b2631", weight: 2, fillColor: "#ffffff", fillOpacity: 1, className: "stop-marker" });
      },
      onEachFeature: function (feature, layer) {
        var properties = feature.properties;
        var modes = properties.modes.map(function (mode) { return t("mode." + mode); }).join(", ");
        var text = properties.routes.length
          ? tn("stop.tooltip", properties.routes.length, { name: properties.name, lines: properties.routes.join(", ") })
          : t("stop.tooltip_no_line", { name: properties.name });
        layer.bindTooltip(element("span", "", modes ? text + " · " + modes : text));
      }
    }).addTo(group);
  }

  function drawNewStops(group, body) {
    L.geoJSON(body, {
      pointToLayer: function (feature, latlng) {
        var inService = feature.properties.stage === "in_service";
        return L.circleMarker(latlng, {
          radius: 7, color: "#14532d", weight: 3, fillColor: inService ? "#14532d" : "#ffffff", fillOpacity: 1,
          className: "new-stop-marker " + (inService ? "in-service" : "planned")
        });
      },
      onEachFeature: function (feature, layer) {
        var properties = feature.properties;
        var where = properties.service_summary || t("new_stop.planned", { stage: properties.stage_label });
        layer.bindTooltip(element("span", "", t("new_stop.tooltip", { name: properties.name, where: where })));
      }
    }).addTo(group);
  }

  function requestPopup(properties) {
    var box = element("div", "map-popup");
    box.appendChild(element("strong", "", properties.title));
    box.appendChild(element("div", "", properties.status_label + " · " + tn("request.supporters", properties.supporters)));
    var link = element("a", "", properties.reference);
    // The layer's features carry no address of their own: the tracking page is found by reference.
    link.href = "/requests/" + encodeURIComponent(properties.reference);
    box.appendChild(link);
    return box;
  }

  function requestMarker(feature) {
    var properties = feature.properties;
    var coordinates = feature.geometry.coordinates;
    var marker = L.circleMarker([coordinates[1], coordinates[0]], {
      radius: 9, color: "#ffffff", weight: 2, fillColor: properties.colour, fillOpacity: 0.95,
      className: "request-marker status-" + properties.status
    });
    marker.bindTooltip(element("span", "", t("request.tooltip", { title: properties.title, status: properties.status_label })));
    marker.bindPopup(requestPopup(properties), { maxWidth: 280 });
    return marker;
  }

  /* The map says it is busy (aria-busy) from a move until every layer asked for the new view
     is drawn: screen readers wait for it, and so can anything that acts on what is drawn. */
  var loading = {};
  function markBusy() {
    var busy = moveTimer !== null || Object.keys(loading).length > 0;
    map.getContainer().setAttribute("aria-busy", busy ? "true" : "false");
  }
  function settled(name, call) {
    if (call === calls[name]) { delete loading[name]; markBusy(); }
  }

  function loadLayer(name) {
    var spec = DATA_LAYERS[name];
    var group = layers[name];
    if (!map.hasLayer(group)) { return; }
    var call = calls[name] = (calls[name] || 0) + 1;
    loading[name] = true;
    markBusy();
    var url = spec.url + (spec.wholeCity ? "" : "?bbox=" + bboxParam());
    if (spec.zoomed) { url += "&zoom=" + Math.round(map.getZoom()); }
    getJson(url).then(function (result) {
      if (call !== calls[name]) { return; }
      group.clearLayers();
      if (!result.ok) { setNote(name, result.body.error ? result.body.error.message : t("map.layer_failed")); return; }
      if (result.body.truncated) {
        setNote(name, t("map.zoom_in." + name));
        return;
      }
      setNote(name, "");
      clustered[name] = Boolean(spec.draw(group, result.body));
      setNote("clusters", Object.keys(clustered).some(function (key) { return clustered[key]; }) ? t("map.clustered") : "");
    }).catch(function () {
      if (call === calls[name]) { setNote(name, t("map.layer_failed")); }
    }).then(function () { settled(name, call); });
  }

  function reloadLayers() {
    moveTimer = null;
    markBusy();
    (config.layers || []).forEach(function (name) {
      if (!DATA_LAYERS[name].wholeCity) { loadLayer(name); }
    });
  }

  (config.layers || []).forEach(function (name) {
    var spec = DATA_LAYERS[name];
    var group = spec.make();
    if (name === "service_areas") {
      layers[name] = group.addTo(map);
    } else {
      addOverlay(name, group, t("layer." + name));
    }
    loadLayer(name);
  });

  var marks = L.featureGroup().addTo(map);
  (config.circles || []).forEach(function (circle) { drawCircle(circle, marks); });
  (config.areas || []).forEach(function (area) { drawArea(area, marks); });
  (config.marks || []).forEach(function (mark) { drawMark(mark, marks); });
  layers.marks = marks;

  map.on("moveend", function () {
    window.clearTimeout(moveTimer);
    moveTimer = window.setTimeout(reloadLayers, 250);
    markBusy();
  });
  map.on("overlayadd", function (event) {
    Object.keys(layers).forEach(function (name) {
      if (layers[name] === event.layer && DATA_LAYERS[name]) { loadLayer(name); }
    });
  });

  /* Back to the service area: its box from the page's configuration, else the drawn boundary,
     else the opening view. */
  function showServiceArea() {
    var area = layers.service_areas;
    if (config.fit) {
      map.fitBounds(config.fit, { padding: [20, 20], maxZoom: 16 });
    } else if (area && area.getLayers().length) {
      map.fitBounds(area.getBounds(), { padding: [20, 20], maxZoom: 16 });
    } else {
      map.setView(openingView.centre, openingView.zoom);
    }
  }

  window.transitreqLayers = layers;
  window.TransitMap = {
    map: map,
    config: config,
    layers: layers,
    t: t,
    tn: tn,
    formatNumber: formatNumber,
    element: element,
    getJson: getJson,
    bboxParam: bboxParam,
    setNote: setNote,
    addOverlay: addOverlay,
    drawCircle: drawCircle,
    drawArea: drawArea,
    clusterGroup: clusterGroup,
    showServiceArea: showServiceArea
  };
}());
