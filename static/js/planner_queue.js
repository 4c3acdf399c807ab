/* The request markers of the planners' queue at city scale. /api/planner/requests answers the
   map either with each matching request ("points", up to a thousand) or, when more match, with
   counts per grid cell ("clusters") sized for the map's zoom. This module draws either form in
   the requests overlay: points go to its marker-cluster group as before, grid cells become
   numbered circles (window.PlannerQueue.cells) that zoom the map in when clicked. planner_map.js owns the table, the filters and the summary;
   it calls window.PlannerQueue for the zoom parameter, the markers and the count line.
   Sentences come from the page's catalogue (web/planner_messages.py) through t() and tn(). */
(function () {
  "use strict";
  var core = window.TransitMap;
  if (!core) { return; }
  var map = core.map;
  var tn = core.tn;
  var formatNumber = core.formatNumber;
  // The zoom the markers were drawn for while clustered: zooming needs new cells.
  var clusteredAtZoom = null;

  /* The requests overlay: a marker-cluster group of points, as map_core makes them. The grid
     cells live in a group of their own that follows the overlay on and off the map, so the
     overlay's markers are still the requests themselves (getLayers() counts them). */
  var cells = L.featureGroup();

  function requestLayer() {
    var points = core.clusterGroup();
    points.on("add", function () { cells.addTo(map); });
    points.on("remove", function () { cells.remove(); });
    return points;
  }

  /* The map's part of the queue's query: its zoom sets the grid cells. */
  function addMapParams(params) {
    params.set("zoom", String(Math.round(map.getZoom())));
    return params;
  }

  function cellMarker(feature) {
    var count = feature.properties.count;
    var lon = feature.geometry.coordinates[0];
    var lat = feature.geometry.coordinates[1];
    var size = Math.round(Math.min(26 + 6 * Math.log10(count) * 2, 56));
    var label = core.element("div");
    label.appendChild(core.element("span", "", formatNumber(count)));
    var marker = L.marker([lat, lon], {
      icon: L.divIcon({
        className: "queue-cell marker-cluster marker-cluster-medium",
        html: label,
        iconSize: [size, size]
      }),
      keyboard: true,
      title: tn("planner.cell", count)
    });
    marker.bindTooltip(core.element("span", "", tn("planner.cell", count)));
    marker.on("click", function () { map.setView([lat, lon], Math.min(map.getZoom() + 2, map.getMaxZoom())); });
    return marker;
  }

  /* Draw the answer's markers: ``markerFor`` (planner_map.js's) makes each request's marker. */
  function draw(points, body, markerFor) {
    points.clearLayers();
    cells.clearLayers();
    var features = body.features.features;
    if (body.map === "clusters") {
      clusteredAtZoom = map.getZoom();
      features.forEach(function (feature) { cells.addLayer(cellMarker(feature)); });
    } else {
      clusteredAtZoom = null;
      // Each point's reference is its feature id (sent once); the markers read it as a property.
      features.forEach(function (feature) { feature.properties.reference = feature.id; });
      points.addLayers(features.map(markerFor));
    }
  }

  /* After the map moved with the queue not tied to the view: new cells only if it zoomed. */
  function zoomChanged() {
    return clusteredAtZoom !== null && clusteredAtZoom !== map.getZoom();
  }

  function countText(body) {
    return body.map === "clusters" ? tn("planner.count_clustered", body.total) : tn("planner.count", body.total);
  }

  window.PlannerQueue = {
    requestLayer: requestLayer,
    addMapParams: addMapParams,
    draw: draw,
    zoomChanged: zoomChanged,
    countText: countText,
    cells: cells
  };
})();
