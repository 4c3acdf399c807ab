/* The review page's approval pin: drag it, or type "lat, lon", to choose where the stop goes.
   Works on the Leaflet map folium built (window.transitreqMap); the form also works without it.
   The pin's name comes from the page's catalogue (web/planner_messages.py) through the map
   script's t(). */
(function () {
  "use strict";
  var map = window.transitreqMap;
  var form = document.getElementById("approve-form");
  if (!map || !form || !window.TransitMap) { return; }
  var t = window.TransitMap.t;
  var latInput = document.getElementById("project-lat");
  var lonInput = document.getElementById("project-lon");
  var typed = document.getElementById("project-coordinates");
  var radiusInput = document.getElementById("link-radius");
  var LAT_LON = /^\s*([-+]?\d+(?:\.\d+)?)\s*[,; ]\s*([-+]?\d+(?:\.\d+)?)\s*$/;
  var start = [parseFloat(latInput.value), parseFloat(lonInput.value)];
  var pin = L.marker(start, {
    draggable: true, keyboard: true, title: t("review.pin"), alt: t("review.pin")
  }).addTo(map);
  var linkCircle = null;
  window.reviewPin = pin;

  function show(lat, lon) {
    latInput.value = lat.toFixed(7);
    lonInput.value = lon.toFixed(7);
    typed.value = lat.toFixed(6) + ", " + lon.toFixed(6);
    drawLinkRadius();
  }

  function drawLinkRadius() {
    var radius = parseFloat(radiusInput.value);
    if (linkCircle) { linkCircle.remove(); linkCircle = null; }
    if (radius > 0) {
      linkCircle = L.circle(pin.getLatLng(), { radius: radius, color: "#0b8a5f", weight: 2, fill: false })
        .addTo(map);
    }
  }

  function placeFromTyped() {
    var match = LAT_LON.exec(typed.value);
    if (!match) { return; }
    var lat = parseFloat(match[1]);
    var lon = parseFloat(match[2]);
    pin.setLatLng([lat, lon]);
    map.panTo([lat, lon]);
    show(lat, lon);
  }

  pin.on("dragend", function () {
    var position = pin.getLatLng();
    show(position.lat, position.lng);
  });
  typed.addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); placeFromTyped(); }
  });
  typed.addEventListener("change", placeFromTyped);
  // Typed text that no longer matches the pin must not be sent with the pin's old position.
  typed.addEventListener("input", function () { latInput.value = ""; lonInput.value = ""; });
  document.getElementById("place-project-pin").addEventListener("click", placeFromTyped);
  radiusInput.addEventListener("input", drawLinkRadius);
}());
