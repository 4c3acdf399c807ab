/* The request form's map behaviour: place or drag the pin, type coordinates, see nearby requests.
   Works on the Leaflet map folium built (window.transitreqMap); the form also works without it. */
(function () {
  "use strict";
  var map = window.transitreqMap;
  var form = document.getElementById("request-form");
  if (!map || !form) { return; }
  var coordinatesInput = document.getElementById("coordinates");
  var latInput = document.getElementById("lat");
  var lonInput = document.getElementById("lon");
  var statusLine = document.getElementById("coordinates-status");
  var nearbySection = document.getElementById("nearby");
  var nearbyList = document.getElementById("nearby-list");
  var csrfToken = document.querySelector("meta[name=csrf-token]").content;
  var pin = null;
  var nearbyRequestNumber = 0;
  var LAT_LON = /^\s*([-+]?\d+(?:\.\d+)?)\s*[,; ]\s*([-+]?\d+(?:\.\d+)?)\s*$/;

  function text(tag, className, content) {
    var element = document.createElement(tag);
    if (className) { element.className = className; }
    if (content !== undefined) { element.textContent = content; }
    return element;
  }

  function showPosition(lat, lon) {
    latInput.value = lat.toFixed(7);
    lonInput.value = lon.toFixed(7);
    coordinatesInput.value = lat.toFixed(6) + ", " + lon.toFixed(6);
  }

  function placePin(lat, lon, options) {
    if (!pin) {
      pin = L.marker([lat, lon], { draggable: true, keyboard: true, title: "Requested stop", alt: "Requested stop" });
      pin.on("dragend", function () {
        var position = pin.getLatLng();
        showPosition(position.lat, position.lng);
        loadNearby(position.lat, position.lng);
      });
      pin.addTo(map);
    } else {
      pin.setLatLng([lat, lon]);
    }
    showPosition(lat, lon);
    if (options && options.pan) { map.setView([lat, lon], Math.max(map.getZoom(), 16)); }
    loadNearby(lat, lon);
  }

  function supportForm(reference) {
    var supportBox = text("form", "");
    supportBox.method = "post";
    supportBox.action = "/requests/" + encodeURIComponent(reference) + "/support";
    var token = text("input");
    token.type = "hidden"; token.name = "csrf_token"; token.value = csrfToken;
    var label = text("label", "", "Your e-mail or phone");
    var contact = text("input");
    contact.name = "contact"; contact.required = true; contact.autocomplete = "email";
    contact.id = "support-contact-" + reference;
    label.htmlFor = contact.id;
    var submit = text("button", "primary", "Support " + reference);
    submit.type = "submit";
    [token, label, contact, submit].forEach(function (child) { supportBox.appendChild(child); });
    return supportBox;
  }

  function nearbyItem(item) {
    var entry = text("li", "nearby-item");
    entry.dataset.reference = item.reference;
    var title = text("a", "", item.title);
    title.href = item.tracking_url;
    entry.appendChild(title);
    var badge = text("span", "status-badge", item.status_label);
    badge.style.setProperty("--status-colour", item.colour);
    entry.appendChild(document.createTextNode(" "));
    entry.appendChild(badge);
    entry.appendChild(text("div", "nearby-meta",
      Math.round(item.distance_m) + " m away · " + item.supporters +
      (item.supporters === 1 ? " supporter" : " supporters") + " · " + item.reference));
    if (item.supportable) {
      var actions = text("div", "nearby-support");
      var open = text("button", "secondary", "Support this instead");
      open.type = "button";
      open.addEventListener("click", function () {
        open.hidden = true;
        var supportBox = supportForm(item.reference);
        actions.appendChild(supportBox);
        supportBox.querySelector("input[name=contact]").focus();
      });
      actions.appendChild(open);
      entry.appendChild(actions);
    }
    return entry;
  }

  function loadNearby(lat, lon) {
    var requestNumber = ++nearbyRequestNumber;
    statusLine.textContent = "Looking for requests nearby…";
    fetch("/api/requests/nearby?lat=" + lat + "&lon=" + lon, { headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (body) {
        if (requestNumber !== nearbyRequestNumber) { return; }
        if (body.error) { statusLine.textContent = body.error.message; return; }
        statusLine.textContent = body.placement.ok ? "Pin placed at " + coordinatesInput.value + "."
          : body.placement.message;
        statusLine.classList.toggle("field-error", !body.placement.ok);
        nearbyList.replaceChildren.apply(nearbyList, body.requests.map(nearbyItem));
        nearbySection.hidden = body.requests.length === 0;
      })
      .catch(function () {
        if (requestNumber === nearbyRequestNumber) {
          statusLine.textContent = "Could not check for nearby requests; you can still send yours.";
        }
      });
  }

  function placeFromTypedText() {
    var match = LAT_LON.exec(coordinatesInput.value);
    if (!match) {
      statusLine.textContent = "Type latitude, then longitude, in decimal degrees, e.g. 45.0123, 10.0045.";
      statusLine.classList.add("field-error");
      return;
    }
    placePin(parseFloat(match[1]), parseFloat(match[2]), { pan: true });
  }

  map.on("click", function (event) { placePin(event.latlng.lat, event.latlng.lng); });
  document.getElementById("place-pin").addEventListener("click", placeFromTypedText);
  coordinatesInput.addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); placeFromTypedText(); }
  });
  coordinatesInput.addEventListener("change", placeFromTypedText);
  // Typed text that no longer matches the pin must not be sent with the pin's old position.
  coordinatesInput.addEventListener("input", function () {
    latInput.value = "";
    lonInput.value = "";
  });

  // A form sent back with errors keeps its pin.
  if (latInput.value && lonInput.value) {
    placePin(parseFloat(latInput.value), parseFloat(lonInput.value), { pan: true });
  }
}());
