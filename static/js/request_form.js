/* The request form's map behaviour: place or drag the pin, type coordinates, see nearby requests.
   Works on the Leaflet map folium built (window.transitreqMap); the form also works without it.

   The pin is placed by a click or tap on the map, by dragging it, by Enter (or Space) on the
   focused map, which places it at the map's centre, or by typed coordinates. What the pin found
   (the message under the coordinates, the requests nearby) is then scrolled into view, which on a
   phone is below the map. The nearby list is updated in place, so a button under a resident's
   finger or a half-filled support form is never redrawn away.

   Talks with place_search.js through events on the form: "transitreq:place-pin" (detail
   {lat, lon}) asks for the pin there; "transitreq:pin" (detail {ok}) tells where it went: ok is
   null when the pin has just moved, then true or false once the server said whether a request
   can be filed there; "transitreq:clear-pin" takes the pin away (the way back
   to the service area).

   Every sentence comes from the page (#request-form-config, web/form_messages.py); titles and
   references are set as text. */
(function () {
  "use strict";
  // A form sent back with errors: the summary takes focus, so it is read (and on a phone seen)
  // first. It needs no map.
  var summary = document.getElementById("form-errors");
  if (summary) { summary.focus(); }

  var map = window.transitreqMap;
  var core = window.TransitMap;
  var form = document.getElementById("request-form");
  var configNode = document.getElementById("request-form-config");
  if (!map || !core || !form || !configNode) { return; }
  var messages = JSON.parse(configNode.textContent).messages || {};
  var coordinatesInput = document.getElementById("coordinates");
  var latInput = document.getElementById("lat");
  var lonInput = document.getElementById("lon");
  var statusLine = document.getElementById("coordinates-status");
  var nearbySection = document.getElementById("nearby");
  var nearbyList = document.getElementById("nearby-list");
  var csrfToken = document.querySelector("meta[name=csrf-token]").content;
  var mapContainer = map.getContainer();
  var pin = null;
  var nearbyRequestNumber = 0;
  var LAT_LON = /^\s*([-+]?\d+(?:\.\d+)?)\s*[,; ]\s*([-+]?\d+(?:\.\d+)?)\s*$/;
  // Positions closer than this (in degrees, about 5 cm) are the same pin.
  var SAME_PLACE_DEGREES = 5e-7;

  /* A sentence from the page's catalogue, with {name} placeholders filled in as plain text. */
  function t(key, values) {
    var sentence = Object.prototype.hasOwnProperty.call(messages, key) ? messages[key] : key;
    return sentence.replace(/\{(\w+)\}/g, function (whole, name) {
      return values && Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }

  /* A counted sentence: key.none (when the catalogue has one), key.one or key.other, with
     {count} written the page's way. */
  function tn(key, count, values) {
    var filled = Object.assign({ count: core.formatNumber(count) }, values || {});
    var form = count === 1 ? ".one" : ".other";
    if (count === 0 && Object.prototype.hasOwnProperty.call(messages, key + ".none")) { form = ".none"; }
    return t(key + form, filled);
  }

  function text(tag, className, content) {
    var element = document.createElement(tag);
    if (className) { element.className = className; }
    if (content !== undefined) { element.textContent = content; }
    return element;
  }

  function announce(ok) {
    form.dispatchEvent(new CustomEvent("transitreq:pin", { detail: { ok: ok } }));
  }

  function showPosition(lat, lon) {
    latInput.value = lat.toFixed(7);
    lonInput.value = lon.toFixed(7);
    coordinatesInput.value = lat.toFixed(6) + ", " + lon.toFixed(6);
  }

  function pinIsAt(lat, lon) {
    if (!pin) { return false; }
    var position = pin.getLatLng();
    return Math.abs(position.lat - lat) < SAME_PLACE_DEGREES && Math.abs(position.lng - lon) < SAME_PLACE_DEGREES;
  }

  function setStatus(message, isError) {
    statusLine.textContent = message;
    statusLine.classList.toggle("field-error", Boolean(isError));
  }

  /* Place the pin (or move it). A pin already there is not looked up again: nothing on the page
     changes under the resident's next click. ``options.pan`` brings the map to it,
     ``options.reveal`` scrolls what it found into view. */
  function placePin(lat, lon, options) {
    options = options || {};
    if (pinIsAt(lat, lon)) {
      showPosition(lat, lon);
      return;
    }
    if (!pin) {
      // Not a keyboard stop of its own: the focused map places it with Enter.
      pin = L.marker([lat, lon], { draggable: true, keyboard: false, title: t("pin.title"), alt: t("pin.title") });
      pin.on("dragend", function () {
        var position = pin.getLatLng();
        showPosition(position.lat, position.lng);
        announce(null);
        loadNearby(position.lat, position.lng, true);
      });
      pin.addTo(map);
    } else {
      pin.setLatLng([lat, lon]);
    }
    showPosition(lat, lon);
    if (options.pan) { map.setView([lat, lon], Math.max(map.getZoom(), 16)); }
    announce(null);
    loadNearby(lat, lon, Boolean(options.reveal));
  }

  function removePin() {
    if (pin) { pin.remove(); pin = null; }
    nearbyRequestNumber++;
    latInput.value = "";
    lonInput.value = "";
    coordinatesInput.value = "";
    nearbyList.replaceChildren();
    nearbySection.hidden = true;
  }

  function labelled(labelText, input, hint) {
    var label = text("label", "", labelText);
    if (hint) { label.appendChild(document.createTextNode(" ")); label.appendChild(text("span", "optional", hint)); }
    label.htmlFor = input.id;
    return label;
  }

  function field(name, id, maxLengthFrom) {
    var input = text("input");
    input.name = name;
    input.id = id;
    var limit = document.getElementById(maxLengthFrom);
    if (limit && limit.maxLength > 0) { input.maxLength = limit.maxLength; }
    return input;
  }

  /* The quick support form: the same fields as the tracking page's (contact, optional name,
     progress e-mails), sent to the same address. */
  function supportForm(reference) {
    var supportBox = text("form", "quick-support");
    supportBox.method = "post";
    supportBox.action = "/requests/" + encodeURIComponent(reference) + "/support";
    supportBox.noValidate = true;
    var token = text("input");
    token.type = "hidden"; token.name = "csrf_token"; token.value = csrfToken;
    var contact = field("contact", "support-contact-" + reference, "reporter_contact");
    contact.required = true; contact.autocomplete = "email";
    var name = field("name", "support-name-" + reference, "reporter_name");
    name.autocomplete = "name";
    var notify = text("input");
    notify.type = "checkbox"; notify.name = "notify_progress"; notify.id = "support-notify-" + reference;
    var notifyHint = text("p", "hint", t("support.notify_hint"));
    notifyHint.id = "support-notify-hint-" + reference;
    notify.setAttribute("aria-describedby", notifyHint.id);
    var notifyLabel = text("label", "check");
    notifyLabel.appendChild(notify);
    notifyLabel.appendChild(document.createTextNode(" " + t("support.notify")));
    var submit = text("button", "primary", t("support.submit", { reference: reference }));
    submit.type = "submit";
    [token, labelled(t("support.contact"), contact), contact, labelled(t("support.name"), name, t("support.optional")), name,
     notifyLabel, notifyHint, submit].forEach(function (child) { supportBox.appendChild(child); });
    return supportBox;
  }

  function metaText(item) {
    return tn("nearby.meta", item.supporters, {
      distance: core.formatNumber(Math.round(item.distance_m)), reference: item.reference
    });
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
    entry.appendChild(text("div", "nearby-meta", metaText(item)));
    if (item.supportable) {
      var actions = text("div", "nearby-support");
      var open = text("button", "secondary", t("nearby.support"));
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

  /* The list for the pin, nearest first: an entry already shown is kept (its distance and
     counts updated), others are added, and those no longer near are removed. */
  function showNearby(requests) {
    var shown = {};
    Array.prototype.forEach.call(nearbyList.children, function (entry) { shown[entry.dataset.reference] = entry; });
    requests.forEach(function (item, index) {
      var entry = shown[item.reference];
      if (entry) {
        entry.querySelector(".nearby-meta").textContent = metaText(item);
        var badge = entry.querySelector(".status-badge");
        badge.textContent = item.status_label;
        badge.style.setProperty("--status-colour", item.colour);
      } else {
        entry = nearbyItem(item);
      }
      if (nearbyList.children[index] !== entry) { nearbyList.insertBefore(entry, nearbyList.children[index] || null); }
    });
    while (nearbyList.children.length > requests.length) { nearbyList.lastElementChild.remove(); }
    nearbySection.hidden = requests.length === 0;
  }

  /* What the pin found, brought into view: the whole nearby offer when it fits under the
     message, else the message with the offer's start. A no-op when they are in view already. */
  function revealResult() {
    (nearbySection.hidden ? statusLine : nearbySection).scrollIntoView({ block: "nearest" });
    statusLine.scrollIntoView({ block: "nearest" });
  }

  function loadNearby(lat, lon, reveal) {
    var requestNumber = ++nearbyRequestNumber;
    setStatus(t("nearby.looking"));
    fetch("/api/requests/nearby?lat=" + lat + "&lon=" + lon, { headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (body) {
        if (requestNumber !== nearbyRequestNumber) { return; }
        if (body.error) { setStatus(body.error.message, true); return; }
        var placement = body.placement;
        setStatus(placement.ok ? t("pin.placed", { coordinates: coordinatesInput.value }) : placement.message, !placement.ok);
        announce(placement.ok);
        showNearby(body.requests);
        if (reveal) { revealResult(); }
      })
      .catch(function () {
        if (requestNumber === nearbyRequestNumber) {
          setStatus(t("nearby.failed"));
        }
      });
  }

  function placeFromTypedText() {
    var match = LAT_LON.exec(coordinatesInput.value);
    if (!match) {
      setStatus(t("coordinates.format", { example: "45.0123, 10.0045" }), true);
      return;
    }
    var lat = parseFloat(match[1]);
    var lon = parseFloat(match[2]);
    if (Math.abs(lat) > 90 || Math.abs(lon) > 180) {
      // Nowhere on Earth: the map stays where it is.
      setStatus(t("coordinates.range"), true);
      return;
    }
    placePin(lat, lon, { pan: true, reveal: true });
  }

  map.on("click", function (event) { placePin(event.latlng.lat, event.latlng.lng, { reveal: true }); });
  // Enter or Space on the focused map (not on one of its buttons) places the pin at its centre.
  mapContainer.setAttribute("aria-describedby", "place-hint");
  mapContainer.addEventListener("keydown", function (event) {
    if (event.target !== mapContainer || (event.key !== "Enter" && event.key !== " ")) { return; }
    event.preventDefault();
    var centre = map.getCenter();
    placePin(centre.lat, centre.lng, { reveal: true });
  });
  // The cross at the centre shows where Enter places the pin, while the keyboard is on the map.
  mapContainer.addEventListener("keyup", function (event) {
    if (event.target === mapContainer) { mapContainer.classList.add("keyboard-on-map"); }
  });
  ["blur", "pointerdown"].forEach(function (name) {
    mapContainer.addEventListener(name, function () { mapContainer.classList.remove("keyboard-on-map"); });
  });
  form.addEventListener("transitreq:place-pin", function (event) {
    placePin(event.detail.lat, event.detail.lon, { reveal: true });
  });
  form.addEventListener("transitreq:clear-pin", function () {
    removePin();
  });
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
