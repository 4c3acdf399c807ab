/* The planners' map and review queue, in four parts:

   1. Area layers (population density, the coverage gaps): each loads for the view while it is on,
      with its legend; where the view is larger than a layer answers for, or its endpoint answers
      an error, a notice on the map says why it is empty and what to do. A layer is one entry of
      AREA_LAYERS (see "Adding a layer" below).
   2. The queue table: one filtered call to /api/planner/requests fills the table and the request
      markers, reloaded (debounced) when the map moves or the filters change.
   3. The summary panel beside the map, shared by the queue and the markers.
   4. Keyboard shortcuts to step through the queue (J/N, K/P, O, Esc).

   Lines and stops are map_core.js's layers. User text only ever reaches the page through
   textContent. Every sentence comes from the page's catalogue (web/planner_messages.py) through
   the map script's t() and tn(). */
(function () {
  "use strict";
  var core = window.TransitMap;
  var form = document.getElementById("queue-filters");
  if (!core || !form) { return; }
  var map = core.map;
  var layers = core.layers;
  var element = core.element;
  var getJson = core.getJson;
  var bboxParam = core.bboxParam;
  var t = core.t;
  var tn = core.tn;
  var formatNumber = core.formatNumber;
  var inView = document.getElementById("in-view");
  var GAP_RADIUS_M = 400;
  // The largest view (each side, metres) a layer's endpoint answers for, from the server; a
  // layer without one is asked at every zoom and draws what its endpoint returns.
  var BOX_LIMITS_M = core.config.layer_box_limits_m || {};
  var moveTimer = null;
  // Moves the summary panel makes (bringing a request into view, opening or closing beside the
  // map) keep the queue as it is, so stepping through it is not undone by the view it changes:
  // a move ending before keepQueueUntil (a time) is the panel's, any other is the planner's.
  var keepQueueUntil = 0;
  var plannerMoved = false;

  /* ---------------------------------------------------------------- 1. Area layers ---------- */

  var noticeBox = document.getElementById("layer-status");
  var legendBox = document.getElementById("map-legend");
  var notices = {};

  /* A notice on the map for one layer (empty text removes it). A notice that says the same as
     before is left in place: the box is a live region, and a layer reloaded on every pan would
     otherwise have a screen reader repeat its error each time (and the node would flicker). */
  function setNotice(name, text, isError) {
    var old = notices[name];
    if (text && old && old.node.textContent === text && old.isError === Boolean(isError)) { return; }
    if (!text && !old) { return; }
    if (text) {
      var node = element("p", "layer-notice" + (isError ? " is-error" : ""), text);
      node.dataset.layer = name;
      notices[name] = { node: node, isError: Boolean(isError) };
    } else {
      delete notices[name];
    }
    noticeBox.replaceChildren.apply(noticeBox, Object.keys(notices).map(function (key) {
      return notices[key].node;
    }));
  }

  function swatch(className, colour) {
    var node = element("span", "legend-swatch " + (className || ""));
    if (colour) { node.style.background = colour; }
    return node;
  }

  function legendItem(swatchNode, text) {
    var item = element("span", "legend-item");
    item.appendChild(swatchNode);
    item.appendChild(document.createTextNode(text));
    return item;
  }

  function peopleText(properties) {
    var people = Math.round(properties.population);
    if (properties.people_per_km2 === null || properties.people_per_km2 === undefined) { return tn("planner.people", people); }
    return tn("planner.people_density", people, { density: formatNumber(Math.round(properties.people_per_km2)) });
  }

  /* Density classes (people per km², lower bound) in a sequential blue-to-purple scheme
     (ColorBrewer BuPu), readable with every common colour-vision deficiency. */
  var DENSITY_CLASSES = [[0, "#edf8fb"], [100, "#bfd3e6"], [500, "#9ebcda"], [1000, "#8c96c6"],
                         [2500, "#8c6bb1"], [5000, "#88419d"], [10000, "#6e016b"]];

  function densityColour(density) {
    var colour = DENSITY_CLASSES[0][1];
    DENSITY_CLASSES.forEach(function (step) { if ((density || 0) >= step[0]) { colour = step[1]; } });
    return colour;
  }

  function densityLegend() {
    return DENSITY_CLASSES.map(function (step, index) {
      var next = DENSITY_CLASSES[index + 1];
      var text = index === 0 ? t("planner.legend.below", { to: formatNumber(next[0]) })
        : (next ? t("planner.legend.range", { from: formatNumber(step[0]), to: formatNumber(next[0]) })
          : t("planner.legend.above", { from: formatNumber(step[0]) }));
      return legendItem(swatch("density-swatch", step[1]), text);
    });
  }

  /* The total the endpoint gives for the view, however it names it. */
  function totalOf(body) {
    var total = body.total_population !== undefined ? body.total_population : body.total;
    return typeof total === "number" ? total : null;
  }

  function gapLegend(swatchClass, labelKey) {
    return function (body) {
      var items = [legendItem(swatch(swatchClass), t(labelKey, { metres: formatNumber(GAP_RADIUS_M) }))];
      var total = body ? totalOf(body) : null;
      if (total !== null) { items.push(element("span", "legend-total", tn("planner.legend.total", Math.round(total)))); }
      return items;
    };
  }

  /* Population units, grid cells or their uncovered parts, each with its people in a tooltip. */
  function drawPopulation(group, body, spec) {
    L.geoJSON(body, {
      style: spec.style,
      pointToLayer: function (feature, latlng) { return L.circleMarker(latlng, spec.pointStyle(feature)); },
      onEachFeature: function (feature, layer) { layer.bindTooltip(element("span", "", peopleText(feature.properties))); }
    }).addTo(group);
  }

  /* Adding a layer: one entry here. `name` (the layer's key in window.transitreqLayers), `label`,
     `shown` at load, `url(bbox)`, `draw(group, body, spec)` (drawPopulation or its own),
     `legend(body)` (the legend's entries: swatches with text), and the entry's own styles.
     Its box limit, if its endpoint has one, comes from web/staff_maps.py (layer_box_limits_m). */
  var AREA_LAYERS = [
    {
      name: "population",
      label: t("planner.layer.population"),
      legendTitle: t("planner.legend.density"),
      shown: false,
      url: function (bbox) { return "/api/planner/layers/population?bbox=" + bbox; },
      draw: drawPopulation,
      style: function (feature) {
        return { color: "#4d004b", weight: 0.5, fillColor: densityColour(feature.properties.people_per_km2), fillOpacity: 0.6, className: "population-density" };
      },
      pointStyle: function (feature) {
        return { radius: 4, stroke: false, fillColor: densityColour(feature.properties.population * 100), fillOpacity: 0.85, className: "population-density" };
      },
      legend: densityLegend
    },
    {
      name: "gap",
      label: t("planner.layer.gap", { metres: formatNumber(GAP_RADIUS_M) }),
      shown: true,
      url: function (bbox) { return "/api/planner/layers/coverage-gap?radius_m=" + GAP_RADIUS_M + "&bbox=" + bbox; },
      draw: drawPopulation,
      style: function () { return { color: "#e66101", weight: 1.5, fillColor: "#e66101", fillOpacity: 1, className: "coverage-gap" }; },
      pointStyle: function () { return { radius: 4, color: "#e66101", weight: 2, fillColor: "#fdb863", fillOpacity: 0.9, className: "coverage-gap-point" }; },
      legend: gapLegend("gap-swatch", "planner.legend.gap")
    },
    {
      name: "gapWalk",
      label: t("walk.gap_layer", { radius: formatNumber(GAP_RADIUS_M) }),
      shown: false,
      url: function (bbox) { return "/api/planner/layers/coverage-gap?measure=walk&radius_m=" + GAP_RADIUS_M + "&bbox=" + bbox; },
      draw: drawPopulation,
      style: function () { return { color: "#7f3b08", weight: 1.5, fillColor: "#7f3b08", fillOpacity: 1, className: "coverage-gap-walk" }; },
      pointStyle: function () { return { radius: 4, color: "#7f3b08", weight: 2, fillColor: "#fee0b6", fillOpacity: 0.9, className: "coverage-gap-walk-point" }; },
      legend: gapLegend("gap-walk-swatch", "planner.legend.gap_walk")
    }
  ];
  var layerCalls = {};

  function showLegend(spec, body) {
    var block = legendBox.querySelector('.layer-legend[data-layer="' + spec.name + '"]');
    if (!block) {
      block = element("div", "legend-group layer-legend");
      block.dataset.layer = spec.name;
      legendBox.appendChild(block);
    }
    block.replaceChildren(element("span", "layer-legend-title", spec.legendTitle || spec.label));
    spec.legend(body).forEach(function (item) { block.appendChild(item); });
    block.hidden = !map.hasLayer(layers[spec.name]);
  }

  /* The view's width and height in metres, along its middle lines (as the server measures). */
  function viewSizeM() {
    var bounds = map.getBounds();
    var middleLat = (bounds.getSouth() + bounds.getNorth()) / 2;
    var middleLon = (bounds.getWest() + bounds.getEast()) / 2;
    return {
      width: map.distance([middleLat, bounds.getWest()], [middleLat, bounds.getEast()]),
      height: map.distance([bounds.getSouth(), middleLon], [bounds.getNorth(), middleLon])
    };
  }

  function km(metres) { return formatNumber(Math.round(metres / 100) / 10); }

  function loadAreaLayer(spec) {
    var group = layers[spec.name];
    var call = layerCalls[spec.name] = (layerCalls[spec.name] || 0) + 1;
    if (!map.hasLayer(group)) { setNotice(spec.name, ""); showLegend(spec, null); return; }
    var limit = BOX_LIMITS_M[spec.name];
    var size = viewSizeM();
    if (limit && Math.max(size.width, size.height) > limit) {
      group.clearLayers();
      showLegend(spec, null);
      setNotice(spec.name, t("planner.notice.zoom_in", {
        layer: spec.label, largest: km(limit), width: km(size.width), height: km(size.height)
      }));
      return;
    }
    getJson(spec.url(bboxParam())).then(function (result) {
      if (call !== layerCalls[spec.name]) { return; }
      group.clearLayers();
      if (!result.ok) {
        var message = result.body && result.body.error ? result.body.error.message : t("planner.notice.failed_plain");
        setNotice(spec.name, t("planner.notice.error", { layer: spec.label, message: message }), true);
        showLegend(spec, null);
        return;
      }
      spec.draw(group, result.body, spec);
      showLegend(spec, result.body);
      var empty = !result.body.features || !result.body.features.length;
      setNotice(spec.name, empty && result.body.dataset === null
        ? t("planner.notice.no_population", { layer: spec.label }) : "");
    }).catch(function () {
      if (call === layerCalls[spec.name]) {
        group.clearLayers();
        setNotice(spec.name, t("planner.notice.failed", { layer: spec.label }), true);
      }
    });
  }

  function loadAreaLayers() { AREA_LAYERS.forEach(loadAreaLayer); }

  AREA_LAYERS.forEach(function (spec) {
    core.addOverlay(spec.name, L.featureGroup(), spec.label, spec.shown);
    showLegend(spec, null);
  });
  map.on("overlayadd overlayremove", function (event) {
    AREA_LAYERS.forEach(function (spec) { if (layers[spec.name] === event.layer) { loadAreaLayer(spec); } });
  });

  /* ---------------------------------------------------------------- 2. The queue table ------ */
  /* Paging, rows and markers. The summary panel (part 3) hears of each new page through
     queueShown(rows) and is opened from here through openSummary(row, how). */

  var tableBody = document.querySelector("#queue-table tbody");
  var countLine = document.getElementById("queue-count");
  var pageLabel = document.getElementById("page-label");
  var previousButton = document.getElementById("previous-page");
  var nextButton = document.getElementById("next-page");
  var PER_PAGE = 25;
  var page = 1;
  var pages = 1;
  var queueCall = 0;
  var markersByReference = {};
  core.addOverlay("requests", window.PlannerQueue.requestLayer(), t("layer.requests"));

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
    if (form.elements.mine && form.elements.mine.checked) { params.set("mine", "1"); }
    params.set("page", String(page));
    params.set("per_page", String(PER_PAGE));
    return window.PlannerQueue.addMapParams(params);
  }

  function ageText(days) {
    if (days < 1) { return t("planner.age.today"); }
    return tn("planner.age", days);
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
    if (row.assignee) { first.appendChild(element("div", "hint", t("planner.assigned_to", { name: row.assignee }))); }
    if (row.suggestion) { first.appendChild(element("div", "hint queue-suggestion", suggestionText(row.suggestion))); }
    var show = element("button", "text-button show-on-map", t("planner.show_on_map"));
    show.type = "button";
    show.addEventListener("click", function (event) {
      event.stopPropagation();
      openSummary(row, "zoom");
    });
    first.appendChild(show);
    tr.appendChild(first);
    // A click anywhere else on the row opens its summary too (the title stays a link).
    tr.addEventListener("click", function (event) {
      if (event.target.closest("a, button")) { return; }
      openSummary(row, "click");
    });
    var status = element("td");
    status.appendChild(badge(row.status_label, row.colour));
    tr.appendChild(status);
    tr.appendChild(element("td", "", ageText(row.age_days)));
    tr.appendChild(element("td", "number", row.supporters));
    tr.appendChild(element("td", "", row.district || "—"));
    tr.appendChild(element("td", "number", row.score === null ? "—" : row.score.toFixed(1)));
    return tr;
  }

  /* The best suggested-stop site within 300 m of the row's pin, against the pin itself. */
  function suggestionText(suggestion) {
    var values = { metres: formatNumber(Math.round(suggestion.distance_m)) };
    var difference = Math.round(suggestion.difference);
    if (difference === 0) { return t("planner.suggestion.same", values); }
    return tn(difference > 0 ? "planner.suggestion.more" : "planner.suggestion.fewer", Math.abs(difference), values);
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
    var label = element("span", "", properties.score === null
      ? tn("planner.marker", properties.supporters, { reference: properties.reference })
      : tn("planner.marker_scored", properties.supporters,
        { reference: properties.reference, score: properties.score.toFixed(1) }));
    marker.bindTooltip(label);
    marker.on("click", function () {
      openSummary({ reference: properties.reference, lat: lat, lon: lon }, "marker");
    });
    markersByReference[properties.reference] = marker;
    return marker;
  }

  function showQueue(body) {
    pages = body.pages;
    tableBody.replaceChildren.apply(tableBody, body.rows.map(queueRow));
    if (!body.rows.length) {
      var empty = element("tr");
      var cell = element("td", "", t("planner.no_match"));
      cell.colSpan = 6;
      empty.appendChild(cell);
      tableBody.appendChild(empty);
    }
    countLine.textContent = window.PlannerQueue.countText(body);
    pageLabel.textContent = t("planner.page", { page: formatNumber(body.page), pages: formatNumber(body.pages) });
    previousButton.disabled = body.page <= 1;
    nextButton.disabled = body.page >= body.pages;
    markersByReference = {};
    window.PlannerQueue.draw(layers.requests, body, markerFor);
    queueShown(body.rows);
  }

  function loadQueue() {
    var call = ++queueCall;
    countLine.textContent = t("planner.loading");
    getJson("/api/planner/requests?" + queueParams().toString()).then(function (result) {
      if (call !== queueCall) { return; }
      if (!result.ok) { countLine.textContent = result.body.error.message; return; }
      showQueue(result.body);
    }).catch(function () {
      if (call === queueCall) { countLine.textContent = t("planner.queue_failed"); }
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    page = 1;
    loadQueue();
  });
  form.addEventListener("change", function () { page = 1; loadQueue(); });
  previousButton.addEventListener("click", function () { if (page > 1) { page -= 1; loadQueue(); } });
  nextButton.addEventListener("click", function () { if (page < pages) { page += 1; loadQueue(); } });

  /* ---------------------------------------------------------------- 3. The summary panel ---- */

  var panel = document.getElementById("request-summary");
  var summaryTitle = document.getElementById("summary-title");
  var summaryBody = document.getElementById("summary-body");
  var closeButton = document.getElementById("close-summary");
  var announcer = document.getElementById("queue-announcement");
  var queueRows = [];
  var selected = null;
  // The request last shown: after the panel closes, the next step goes on from it.
  var lastReference = null;
  var summaryCall = 0;
  layers.selection = L.featureGroup().addTo(map);

  function rowIndex(reference) {
    for (var i = 0; i < queueRows.length; i++) { if (queueRows[i].reference === reference) { return i; } }
    return -1;
  }

  function markSelectedRow() {
    Array.prototype.forEach.call(tableBody.querySelectorAll("tr"), function (tr) {
      var isSelected = selected !== null && tr.dataset.reference === selected.reference;
      tr.classList.toggle("is-selected", isSelected);
      if (isSelected) { tr.setAttribute("aria-current", "true"); } else { tr.removeAttribute("aria-current"); }
    });
  }

  // The row a keyboard user was on: a new page of the queue gives its button focus back.
  var focusedReference = null;
  tableBody.addEventListener("focusin", function (event) {
    var tr = event.target.closest("tr");
    focusedReference = tr ? tr.dataset.reference : null;
  });

  function queueShown(rows) {
    queueRows = rows;
    markSelectedRow();
    if (focusedReference && (document.activeElement === document.body || !document.activeElement)) {
      var button = tableBody.querySelector('tr[data-reference="' + CSS.escape(focusedReference) + '"] .show-on-map');
      if (button) { button.focus(); }
    }
  }

  /* The lines drawn on the map now (map_core's routes layer) that carry one of ``names``. */
  function drawnRoutesNamed(names) {
    var found = [];
    if (!layers.routes) { return found; }
    layers.routes.eachLayer(function (collection) {
      if (!collection.eachLayer) { return; }
      collection.eachLayer(function (line) {
        if (line.feature && names.indexOf(line.feature.properties.name) !== -1) { found.push(line.feature); }
      });
    });
    return found;
  }

  function figureRow(label, value) {
    var tr = element("tr");
    tr.appendChild(element("th", "", label));
    tr.appendChild(element("td", "", value));
    return tr;
  }

  function reviewUrl(reference) { return "/planning/requests/" + encodeURIComponent(reference); }

  function showSummary(reference, details, evaluation) {
    summaryTitle.textContent = details ? details.title : reference;
    var table = element("table", "figures");
    table.id = "summary-figures";
    var noPopulation = t("planner.summary.no_population");
    var rows = [
      [t("planner.summary.reference"), reference],
      [t("planner.summary.status"), details ? details.status_label : "—"],
      [t("planner.summary.supporters"), details ? formatNumber(details.supporters) : "—"],
      [t("planner.summary.score"), t("planner.summary.score_value", { score: evaluation.score.total.toFixed(1) })]
    ];
    evaluation.catchments.forEach(function (catchment) {
      var metres = formatNumber(catchment.radius_m);
      if (catchment.measure === "walk") {
        rows.push([t("walk.people", { radius: metres }),
          catchment.population === null ? noPopulation : formatNumber(Math.round(catchment.population))]);
        rows.push([t("walk.newly", { radius: metres }),
          catchment.newly_served === null ? noPopulation : formatNumber(Math.round(catchment.newly_served))]);
        return;
      }
      rows.push([t("planner.summary.people", { metres: metres }),
        catchment.population === null ? noPopulation : formatNumber(Math.round(catchment.population))]);
      rows.push([t("planner.summary.newly_served", { metres: metres }),
        catchment.newly_served === null ? noPopulation : formatNumber(Math.round(catchment.newly_served))]);
    });
    rows.push([t("planner.summary.demand", { metres: formatNumber(Math.round(evaluation.demand.radius_m)) }),
      t("planner.summary.demand_value", {
        requests: formatNumber(evaluation.demand.requests),
        supporters: formatNumber(evaluation.demand.supporters)
      })]);
    rows.push([t("planner.summary.routes"),
      evaluation.routes_passing_by.map(function (route) { return route.name; }).join(", ") || t("planner.summary.none")]);
    var nearest = evaluation.nearest_stops[0];
    var nearestText = !nearest ? t("planner.summary.none") : (nearest.walk_m === null
      ? t("planner.summary.stop_distance", { name: nearest.name, metres: formatNumber(Math.round(nearest.distance_m)) })
      : t("walk.nearest", { name: nearest.name, metres: formatNumber(Math.round(nearest.distance_m)), walk: formatNumber(Math.round(nearest.walk_m)) }));
    rows.push([t("planner.summary.nearest_stop"), nearestText]);
    rows.forEach(function (row) { table.appendChild(figureRow(row[0], row[1])); });
    var link = element("a", "button", t("planner.summary.open"));
    link.id = "summary-open-review";
    link.href = reviewUrl(reference);
    summaryBody.replaceChildren(table, link);
  }

  function drawSelection(lat, lon, evaluation) {
    layers.selection.clearLayers();
    var walks = evaluation.catchments.filter(function (catchment) { return catchment.measure === "walk" && catchment.area; });
    evaluation.catchments.filter(function (catchment) { return catchment.measure !== "walk"; })
      .map(function (catchment) { return catchment.radius_m; })
      .sort(function (a, b) { return b - a; })
      .forEach(function (radius) {
        L.circle([lat, lon], { radius: radius, color: "#17202a", weight: 2, dashArray: "6 6", fillOpacity: 0.05, className: "catchment catchment-" + radius })
          .bindTooltip(element("span", "", t("planner.catchment", { metres: formatNumber(radius) }))).addTo(layers.selection);
      });
    // The walking areas over the circles, the largest first so the smaller shows on top.
    walks.sort(function (a, b) { return b.radius_m - a.radius_m; }).forEach(function (catchment) {
      core.drawArea({
        geometry: catchment.area,
        label: t("walk.area", { radius: formatNumber(catchment.radius_m) }),
        class_name: "walking-area walking-area-" + catchment.radius_m
      }, layers.selection);
    });
    var passing = evaluation.routes_passing_by.map(function (route) { return route.name; });
    if (passing.length) {
      L.geoJSON({ type: "FeatureCollection", features: drawnRoutesNamed(passing) },
        { style: function (feature) { return { color: feature.properties.colour, weight: 7, opacity: 0.95, className: "passing-route" }; } })
        .addTo(layers.selection);
    }
  }

  /* The panel takes its place beside the map, which shrinks to the rest (no move of ours
     reloads the queue). */
  function setPanelOpen(open) {
    if (panel.hidden === !open) { return; }
    keepQueueUntil = Date.now() + 800;
    panel.hidden = !open;
    map.invalidateSize({ pan: false });
  }

  /* Opens the summary of ``row`` ({reference, lat, lon, title?}): from a row click, a marker,
     "Show on map" ("zoom": the map zooms in on it) or a shortcut ("step"). The request is brought
     into the map's view, the queue row marked, focus moved to the panel's heading, and the
     change announced. */
  function openSummary(row, how) {
    selected = { reference: row.reference, lat: row.lat, lon: row.lon };
    setPanelOpen(true);
    markSelectedRow();
    var latlng = L.latLng(row.lat, row.lon);
    if (how === "zoom") {
      map.setView(latlng, Math.max(map.getZoom(), 15));
    } else if (!map.getBounds().pad(-0.1).contains(latlng)) {
      keepQueueUntil = Date.now() + 800;
      map.panTo(latlng);
    }
    var index = rowIndex(row.reference);
    var title = row.title || (index === -1 ? row.reference : queueRows[index].title);
    var tr = tableBody.querySelector('tr[data-reference="' + CSS.escape(row.reference) + '"]');
    if (tr) { tr.scrollIntoView({ block: "nearest" }); }
    announcer.textContent = index === -1
      ? t("planner.announce.opened", { title: title })
      : t("planner.announce.step", { position: formatNumber(index + 1), count: formatNumber(queueRows.length), title: title });
    summaryTitle.textContent = title;
    summaryBody.replaceChildren(element("p", "hint", t("planner.evaluating")));
    if (how !== "marker" || document.activeElement === document.body) { summaryTitle.focus({ preventScroll: true }); }
    var call = ++summaryCall;
    Promise.all([
      getJson("/api/requests/" + encodeURIComponent(row.reference)),
      getJson("/api/evaluate?lat=" + row.lat + "&lon=" + row.lon)
    ]).then(function (results) {
      if (call !== summaryCall) { return; }
      if (!results[1].ok) { summaryBody.replaceChildren(element("p", "error-message", results[1].body.error.message)); return; }
      showSummary(row.reference, results[0].ok ? results[0].body : null, results[1].body);
      drawSelection(row.lat, row.lon, results[1].body);
    }).catch(function () {
      if (call === summaryCall) { summaryBody.replaceChildren(element("p", "error-message", t("planner.evaluation_failed"))); }
    });
  }

  function closeSummary() {
    if (panel.hidden) { return; }
    var reference = selected && selected.reference;
    lastReference = reference;
    selected = null;
    summaryCall += 1;
    layers.selection.clearLayers();
    setPanelOpen(false);
    markSelectedRow();
    announcer.textContent = t("planner.announce.closed");
    var tr = reference && tableBody.querySelector('tr[data-reference="' + CSS.escape(reference) + '"] .show-on-map');
    (tr || map.getContainer()).focus();
  }

  closeButton.addEventListener("click", closeSummary);

  /* ---------------------------------------------------------------- 4. Keyboard shortcuts --- */

  function step(delta) {
    if (!queueRows.length) { announcer.textContent = t("planner.announce.empty"); return; }
    var index = rowIndex(selected ? selected.reference : lastReference);
    var next = index === -1 ? (delta > 0 ? 0 : queueRows.length - 1) : index + delta;
    if (next < 0 || next >= queueRows.length) {
      announcer.textContent = t(delta > 0 ? "planner.announce.last" : "planner.announce.first");
      return;
    }
    openSummary(queueRows[next], "step");
  }

  function typingIn(target) {
    return Boolean(target && target.closest && target.closest("input, textarea, select, [contenteditable=''], [contenteditable=true]"));
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || typingIn(event.target)) { return; }
    var key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    if (key === "j" || key === "n") { event.preventDefault(); step(1); }
    else if (key === "k" || key === "p") { event.preventDefault(); step(-1); }
    else if (key === "o" && selected) { event.preventDefault(); window.location.assign(reviewUrl(selected.reference)); }
    else if (key === "Escape" && !panel.hidden) { event.preventDefault(); closeSummary(); }
  });

  /* ---------------------------------------------------------------- Loading ------------------ */

  map.on("moveend", function () {
    plannerMoved = plannerMoved || Date.now() > keepQueueUntil;
    window.clearTimeout(moveTimer);
    moveTimer = window.setTimeout(function () {
      var reloadQueue = inView.checked && plannerMoved;
      plannerMoved = false;
      if (reloadQueue) { page = 1; loadQueue(); } else if (window.PlannerQueue.zoomChanged()) { loadQueue(); }
      loadAreaLayers();
    }, 300);
  });
  loadQueue();
  loadAreaLayers();
})();
