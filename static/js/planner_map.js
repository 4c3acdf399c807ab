/* The planners' map and review queue: one filtered call to /api/planner/requests fills both the
   table and the request markers, reloaded (debounced) when the map moves or the filters change.
   Population density and the coverage gap load for the area in view while their layers are on.
   Works on the map folium built (window.transitreqMap) and its named layers
   (window.transitreqLayers). User text only ever reaches the page through textContent. */
(function () {
  "use strict";
  var map = window.transitreqMap;
  var layers = window.transitreqLayers;
  var form = document.getElementById("queue-filters");
  if (!map || !layers || !form) { return; }
  var tableBody = document.querySelector("#queue-table tbody");
  var countLine = document.getElementById("queue-count");
  var pageLabel = document.getElementById("page-label");
  var previousButton = document.getElementById("previous-page");
  var nextButton = document.getElementById("next-page");
  var layerStatus = document.getElementById("layer-status");
  var summary = document.getElementById("request-summary");
  var summaryTitle = document.getElementById("summary-title");
  var summaryBody = document.getElementById("summary-body");
  var inView = document.getElementById("in-view");
  var PER_PAGE = 25;
  var GAP_RADIUS_M = 400;
  var page = 1;
  var pages = 1;
  var queueCall = 0;
  var layerCalls = { population: 0, gap: 0, stops: 0 };
  var routeData = null;
  var moveTimer = null;
  var markersByReference = {};

  function element(tag, className, content) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (content !== undefined && content !== null) { node.textContent = String(content); }
    return node;
  }

  function getJson(url) {
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      });
  }

  function bboxParam() {
    var bounds = map.getBounds();
    var clamp = function (value, limit) { return Math.max(-limit, Math.min(limit, value)); };
    return [clamp(bounds.getWest(), 180), clamp(bounds.getSouth(), 90),
            clamp(bounds.getEast(), 180), clamp(bounds.getNorth(), 90)]
      .map(function (value) { return value.toFixed(6); }).join(",");
  }

  function queueParams() {
    var params = new URLSearchParams();
    var statuses = Array.prototype.map.call(
      form.querySelectorAll("input[name=status]:checked"), function (box) { return box.value; });
    if (statuses.length) { params.set("status", statuses.join(",")); }
    ["district", "min_score", "max_score", "q", "sort"].forEach(function (name) {
      var value = form.elements[name].value.trim();
      if (value) { params.set(name, value); }
    });
    if (inView.checked) { params.set("bbox", bboxParam()); }
    params.set("page", String(page));
    params.set("per_page", String(PER_PAGE));
    return params;
  }

  function ageText(days) {
    if (days < 1) { return "today"; }
    return days === 1 ? "1 day" : days + " days";
  }

  function badge(label, colour) {
    var node = element("span", "status-badge", label);
    node.style.setProperty("--status-colour", colour);
    return node;
  }

  function queueRow(row) {
    var tr = element("tr");
    tr.dataset.reference = row.reference;
    var first = element("td");
    var link = element("a", "", row.title);
    link.href = row.review_url;
    first.appendChild(link);
    first.appendChild(element("div", "hint", row.reference));
    var show = element("button", "link-button", "Show on map");
    show.type = "button";
    show.addEventListener("click", function () { selectRequest(row.reference, row.lat, row.lon, true); });
    first.appendChild(show);
    tr.appendChild(first);
    var status = element("td");
    status.appendChild(badge(row.status_label, row.colour));
    tr.appendChild(status);
    tr.appendChild(element("td", "", ageText(row.age_days)));
    tr.appendChild(element("td", "number", row.supporters));
    tr.appendChild(element("td", "", row.district || "—"));
    tr.appendChild(element("td", "number", row.score === null ? "—" : row.score.toFixed(1)));
    return tr;
  }

  function markerFor(feature) {
    var properties = feature.properties;
    var lon = feature.geometry.coordinates[0];
    var lat = feature.geometry.coordinates[1];
    var marker = L.circleMarker([lat, lon], {
      radius: Math.min(6 + 2.5 * Math.sqrt(properties.supporters), 22),
      color: "#ffffff",
      weight: 2,
      fillColor: properties.colour,
      fillOpacity: 0.95,
      className: "request-marker status-" + properties.status
    });
    var label = element("span", "", properties.reference + " · " + properties.supporters +
      (properties.supporters === 1 ? " supporter" : " supporters") +
      (properties.score === null ? "" : " · score " + properties.score.toFixed(1)));
    marker.bindTooltip(label);
    marker.on("click", function () { selectRequest(properties.reference, lat, lon, false); });
    markersByReference[properties.reference] = marker;
    return marker;
  }

  function showQueue(body) {
    pages = body.pages;
    tableBody.replaceChildren.apply(tableBody, body.rows.map(queueRow));
    if (!body.rows.length) {
      var empty = element("tr");
      var cell = element("td", "", "No request matches these filters.");
      cell.colSpan = 6;
      empty.appendChild(cell);
      tableBody.appendChild(empty);
    }
    countLine.textContent = body.total + (body.total === 1 ? " request matches" : " requests match") +
      (body.truncated ? " (the map shows the first " + body.features.features.length + "; zoom in)" : "") + ".";
    pageLabel.textContent = "Page " + body.page + " of " + body.pages;
    previousButton.disabled = body.page <= 1;
    nextButton.disabled = body.page >= body.pages;
    markersByReference = {};
    layers.requests.clearLayers();
    layers.requests.addLayers(body.features.features.map(markerFor));
  }

  function loadQueue() {
    var call = ++queueCall;
    countLine.textContent = "Loading…";
    getJson("/api/planner/requests?" + queueParams().toString()).then(function (result) {
      if (call !== queueCall) { return; }
      if (!result.ok) { countLine.textContent = result.body.error.message; return; }
      showQueue(result.body);
    }).catch(function () {
      if (call === queueCall) { countLine.textContent = "Could not load the queue; try again."; }
    });
  }

  var DENSITY_STEPS = [[10000, "#67000d"], [5000, "#a50f15"], [2500, "#d7301f"], [1000, "#ef6548"],
                       [500, "#fc8d59"], [100, "#fdbb84"], [0, "#fee8c8"]];

  function densityColour(density) {
    for (var i = 0; i < DENSITY_STEPS.length; i++) {
      if ((density || 0) >= DENSITY_STEPS[i][0]) { return DENSITY_STEPS[i][1]; }
    }
    return DENSITY_STEPS[DENSITY_STEPS.length - 1][1];
  }

  function peopleText(properties) {
    var text = Math.round(properties.population) + " people";
    if (properties.people_per_km2 !== null) { text += ", " + Math.round(properties.people_per_km2) + " per km²"; }
    return text;
  }

  function geoJsonLayer(body, style, pointStyle) {
    return L.geoJSON(body, {
      style: style,
      pointToLayer: function (feature, latlng) { return L.circleMarker(latlng, pointStyle(feature)); },
      onEachFeature: function (feature, layer) { layer.bindTooltip(element("span", "", peopleText(feature.properties))); }
    });
  }

  function populationStyle(feature) {
    return { color: "#7f2704", weight: 0.5, fillColor: densityColour(feature.properties.people_per_km2), fillOpacity: 0.55 };
  }

  function gapStyle() {
    return { color: "#b10026", weight: 1, fillColor: "#e31a1c", fillOpacity: 0.45, className: "coverage-gap" };
  }

  function loadPopulationLayer(name, url, style, pointStyle) {
    var group = layers[name];
    if (!map.hasLayer(group)) { return Promise.resolve(); }
    var call = ++layerCalls[name];
    return getJson(url).then(function (result) {
      if (call !== layerCalls[name]) { return; }
      group.clearLayers();
      if (!result.ok) { layerStatus.textContent = result.body.error.message; return; }
      geoJsonLayer(result.body, style, pointStyle).addTo(group);
    });
  }

  function loadAreaLayers() {
    layerStatus.textContent = "";
    var bbox = bboxParam();
    loadPopulationLayer("population", "/api/planner/layers/population?bbox=" + bbox, populationStyle,
      function (feature) { return { radius: 4, stroke: false, fillColor: densityColour(feature.properties.population * 100), fillOpacity: 0.8 }; });
    loadPopulationLayer("gap", "/api/planner/layers/coverage-gap?radius_m=" + GAP_RADIUS_M + "&bbox=" + bbox, gapStyle,
      function () { return { radius: 4, stroke: false, fillColor: "#e31a1c", fillOpacity: 0.9, className: "coverage-gap" }; });
    loadStops(bbox);
  }

  function loadStops(bbox) {
    var call = ++layerCalls.stops;
    if (!map.hasLayer(layers.stops) || map.getZoom() < 14) { layers.stops.clearLayers(); return; }
    getJson("/api/layers/stops?bbox=" + bbox).then(function (result) {
      if (call !== layerCalls.stops || !result.ok) { return; }
      layers.stops.clearLayers();
      L.geoJSON(result.body, {
        pointToLayer: function (feature, latlng) {
          return L.circleMarker(latlng, { radius: 4, color: "#1b2631", weight: 2, fillColor: "#ffffff", fillOpacity: 1 });
        },
        onEachFeature: function (feature, layer) {
          layer.bindTooltip(element("span", "", "Stop " + feature.properties.name + " (" + (feature.properties.routes.join(", ") || "no line") + ")"));
        }
      }).addTo(layers.stops);
    });
  }

  function loadRoutes() {
    getJson("/api/layers/routes").then(function (result) {
      if (!result.ok) { return; }
      routeData = result.body;
      L.geoJSON(routeData, {
        style: function (feature) { return { color: feature.properties.colour, weight: 3, opacity: 0.7 }; },
        onEachFeature: function (feature, layer) { layer.bindTooltip(element("span", "", "Line " + feature.properties.name)); }
      }).addTo(layers.routes);
    });
  }

  function figureRow(label, value) {
    var tr = element("tr");
    tr.appendChild(element("th", "", label));
    tr.appendChild(element("td", "", value));
    return tr;
  }

  function showSummary(reference, details, evaluation) {
    summaryTitle.textContent = details ? details.title : reference;
    var table = element("table", "figures");
    table.id = "summary-figures";
    var rows = [
      ["Reference", reference],
      ["Status", details ? details.status_label : "—"],
      ["Supporters", details ? String(details.supporters) : "—"],
      ["Score", evaluation.score.total.toFixed(1) + " / 100"]
    ];
    evaluation.catchments.forEach(function (catchment) {
      rows.push(["People within " + catchment.radius_m + " m",
        catchment.population === null ? "no population data" : Math.round(catchment.population).toLocaleString("en")]);
      rows.push(["Newly served within " + catchment.radius_m + " m",
        catchment.newly_served === null ? "no population data" : Math.round(catchment.newly_served).toLocaleString("en")]);
    });
    rows.push(["Demand within " + Math.round(evaluation.demand.radius_m) + " m",
      evaluation.demand.requests + " request(s), " + evaluation.demand.supporters + " supporter(s)"]);
    rows.push(["Routes passing by", evaluation.routes_passing_by.map(function (route) { return route.name; }).join(", ") || "none"]);
    rows.push(["Nearest stop", evaluation.nearest_stops.length ?
      evaluation.nearest_stops[0].name + ", " + Math.round(evaluation.nearest_stops[0].distance_m) + " m" : "none"]);
    rows.forEach(function (row) { table.appendChild(figureRow(row[0], row[1])); });
    var link = element("a", "button", "Open the review page");
    link.href = "/planning/requests/" + encodeURIComponent(reference);
    summaryBody.replaceChildren(table, link);
    summary.hidden = false;
  }

  function drawSelection(lat, lon, evaluation) {
    layers.selection.clearLayers();
    evaluation.catchments.map(function (catchment) { return catchment.radius_m; })
      .sort(function (a, b) { return b - a; })
      .forEach(function (radius) {
        L.circle([lat, lon], { radius: radius, color: "#17202a", weight: 2, dashArray: "6 6", fillOpacity: 0.05, className: "catchment catchment-" + radius })
          .bindTooltip(radius + " m walking catchment").addTo(layers.selection);
      });
    var passing = evaluation.routes_passing_by.map(function (route) { return route.name; });
    if (routeData && passing.length) {
      L.geoJSON({ type: "FeatureCollection", features: routeData.features.filter(function (feature) {
        return passing.indexOf(feature.properties.name) !== -1;
      }) }, { style: function (feature) { return { color: feature.properties.colour, weight: 7, opacity: 0.95, className: "passing-route" }; } })
        .addTo(layers.selection);
    }
  }

  function selectRequest(reference, lat, lon, pan) {
    if (pan) { map.setView([lat, lon], Math.max(map.getZoom(), 15)); }
    summary.hidden = false;
    summaryTitle.textContent = reference;
    summaryBody.replaceChildren(element("p", "hint", "Evaluating the site…"));
    Promise.all([
      getJson("/api/requests/" + encodeURIComponent(reference)),
      getJson("/api/evaluate?lat=" + lat + "&lon=" + lon)
    ]).then(function (results) {
      if (!results[1].ok) { summaryBody.replaceChildren(element("p", "error-message", results[1].body.error.message)); return; }
      showSummary(reference, results[0].ok ? results[0].body : null, results[1].body);
      drawSelection(lat, lon, results[1].body);
    }).catch(function () {
      summaryBody.replaceChildren(element("p", "error-message", "Could not evaluate this site; try again."));
    });
  }

  function reloadAll() {
    loadQueue();
    loadAreaLayers();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    page = 1;
    loadQueue();
  });
  form.addEventListener("change", function () { page = 1; loadQueue(); });
  previousButton.addEventListener("click", function () { if (page > 1) { page -= 1; loadQueue(); } });
  nextButton.addEventListener("click", function () { if (page < pages) { page += 1; loadQueue(); } });
  map.on("moveend", function () {
    window.clearTimeout(moveTimer);
    moveTimer = window.setTimeout(function () {
      if (inView.checked) { page = 1; loadQueue(); }
      loadAreaLayers();
    }, 300);
  });
  map.on("overlayadd", function () { loadAreaLayers(); });
  loadRoutes();
  reloadAll();
})();
