/* The planners' map's Suggested stops layer: the K new stops that together newly serve the most
   people in the view (GET /api/planner/suggestions), numbered by rank, each with the people it
   newly serves beyond the stops ranked above it, alone, and its route. A separate script on the
   planners' page: it only needs window.TransitMap (map_core.js), and loads when its layer is
   turned on and the map stops moving. Route names only reach the page through textContent;
   every sentence comes from web/suggestion_messages.py through t(). */
(function () {
  "use strict";
  var core = window.TransitMap;
  if (!core || !document.getElementById("queue-filters")) { return; }
  var map = core.map;
  var t = core.t;
  var element = core.element;
  var formatNumber = core.formatNumber;
  var script = document.currentScript;
  var COUNT = Number((script && script.dataset.count) || 10);
  var RADIUS_M = Number((script && script.dataset.radius) || 400);
  var status = document.getElementById("layer-status");
  var group = core.addOverlay("suggestions", L.featureGroup(), t("suggest.layer", { count: formatNumber(COUNT) }), false);
  var call = 0;
  var timer = null;

  function say(text) { if (status) { status.textContent = text; } }

  function popup(properties, measureRadius) {
    var box = element("div", "suggestion-popup");
    box.appendChild(element("strong", "", t("suggest.popup.title", { rank: properties.rank })));
    box.appendChild(element("div", "", t("suggest.popup.marginal", { people: formatNumber(Math.round(properties.newly_served)) })));
    box.appendChild(element("div", "", t("suggest.popup.alone", {
      people: formatNumber(Math.round(properties.newly_served_alone)), metres: formatNumber(measureRadius)
    })));
    box.appendChild(element("div", "hint", t("suggest.popup.route", { route: properties.route })));
    return box;
  }

  function marker(feature, radius) {
    var coordinates = feature.geometry.coordinates;
    var icon = L.divIcon({ className: "suggestion-rank", html: "", iconSize: [24, 24] });
    var mark = L.marker([coordinates[1], coordinates[0]], {
      icon: icon,
      title: t("suggest.marker", { rank: feature.properties.rank, people: formatNumber(Math.round(feature.properties.newly_served)) })
    });
    mark.on("add", function () {
      var node = mark.getElement();
      if (node) { node.textContent = String(feature.properties.rank); node.dataset.rank = String(feature.properties.rank); }
    });
    mark.bindPopup(function () { return popup(feature.properties, radius); });
    return mark;
  }

  function load() {
    if (!map.hasLayer(group)) { return; }
    var mine = ++call;
    say(t("suggest.loading"));
    var params = new URLSearchParams({ count: String(COUNT), radius_m: String(RADIUS_M), bbox: core.bboxParam() });
    core.getJson("/api/planner/suggestions?" + params.toString()).then(function (result) {
      if (mine !== call) { return; }
      group.clearLayers();
      if (!result.ok) { say(t("suggest.failed")); return; }
      var features = result.body.suggestions.features;
      if (!features.length) { say(t("suggest.none")); return; }
      features.forEach(function (feature) { group.addLayer(marker(feature, result.body.radius_m)); });
      say(t("suggest.summary", {
        count: formatNumber(features.length),
        people: formatNumber(Math.round(result.body.newly_served)),
        method: t("suggest.method." + result.body.method),
        gap: (result.body.gap * 100).toFixed(2)
      }));
    }, function () { if (mine === call) { say(t("suggest.failed")); } });
  }

  function soon() { clearTimeout(timer); timer = setTimeout(load, 400); }
  map.on("overlayadd", function (event) { if (event.layer === group) { load(); } });
  map.on("moveend", function () { if (map.hasLayer(group)) { soon(); } });
  window.transitreqSuggestions = { layer: group, reload: load };
}());
