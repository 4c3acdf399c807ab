/* Finding the place for the stop on the home page: search our own place names, use the
   browser's location, and return to the service area from outside it.

   The search field is a combobox in the ARIA 1.2 pattern (list autocomplete, no automatic
   selection): typing lists places from /api/places, the arrow keys move through them
   (aria-activedescendant, focus stays in the field), Enter picks, Escape closes the list (and
   clears the field when it is already closed). Picking a place, or finding the resident's
   location, only moves the map and rings the spot: the resident puts the pin there by clicking
   or tapping the map, or with "Place the pin here" (request_form.js places it). When the spot
   or the pin is outside the service area, "Back to …" frames the map on the area again.

   Every sentence comes from the page (#place-search-config); place names are set as text. */
(function () {
  "use strict";
  var transitMap = window.TransitMap;
  var configNode = document.getElementById("place-search-config");
  var input = document.getElementById("place-query");
  var form = document.getElementById("request-form");
  if (!transitMap || !configNode || !input || !form) { return; }
  var map = transitMap.map;
  var config = JSON.parse(configNode.textContent);
  var listbox = document.getElementById("place-results");
  var searchStatus = document.getElementById("place-search-status");
  var whereStatus = document.getElementById("coordinates-status");
  var pinHere = document.getElementById("place-pin-here");
  var backToArea = document.getElementById("back-to-area");
  var locate = document.getElementById("use-my-location");
  var TYPING_PAUSE_MS = 250;
  var places = [];
  var active = -1;
  var searchNumber = 0;
  var typingTimer = null;
  var spot = null;
  var spotRing = null;

  /* A sentence from the page's catalogue, with {name} placeholders filled in as plain text. */
  function t(key, values) {
    var text = Object.prototype.hasOwnProperty.call(config.messages, key) ? config.messages[key] : key;
    var filled = Object.assign({ area: config.area }, values || {});
    return text.replace(/\{(\w+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(filled, name) ? String(filled[name]) : whole;
    });
  }

  function say(line, text, isProblem) {
    line.textContent = text;
    line.classList.toggle("field-error", Boolean(isProblem));
  }

  /* --- the list of places ------------------------------------------------------------------ */

  function options() { return Array.prototype.slice.call(listbox.children); }

  function setActive(index) {
    active = index;
    options().forEach(function (option, position) {
      option.setAttribute("aria-selected", position === index ? "true" : "false");
    });
    if (index < 0) {
      input.removeAttribute("aria-activedescendant");
      return;
    }
    var option = options()[index];
    input.setAttribute("aria-activedescendant", option.id);
    option.scrollIntoView({ block: "nearest" });
  }

  function setOpen(open) {
    listbox.hidden = !open;
    input.setAttribute("aria-expanded", open ? "true" : "false");
    if (!open) { setActive(-1); }
  }

  function isOpen() { return !listbox.hidden; }

  function option(place, index) {
    var item = transitMap.element("li", "place-option");
    item.id = "place-option-" + index;
    item.setAttribute("role", "option");
    item.setAttribute("aria-selected", "false");
    item.appendChild(transitMap.element("span", "place-name", place.name));
    var kind = transitMap.element("span", "place-kind", t("kind." + place.kind));
    if (!place.inside_service_area) {
      kind.appendChild(document.createTextNode(" · "));
      kind.appendChild(transitMap.element("span", "place-outside", t("place.outside")));
    }
    item.appendChild(kind);
    // A press on an option must not take the focus from the field (which would close the list).
    item.addEventListener("mousedown", function (event) { event.preventDefault(); });
    item.addEventListener("click", function () { pick(index); });
    return item;
  }

  function show(found, query) {
    places = found;
    listbox.replaceChildren.apply(listbox, found.map(option));
    setOpen(found.length > 0);
    var count = found.length;
    say(searchStatus, count ? t(count === 1 ? "search.found.one" : "search.found.other", { count: count })
      : t("search.none", { query: query }));
  }

  function search() {
    var query = input.value.trim();
    var number = ++searchNumber;
    if (!query) {
      places = [];
      listbox.replaceChildren();
      setOpen(false);
      say(searchStatus, "");
      return;
    }
    var centre = map.getCenter();
    var url = config.places_url + "?q=" + encodeURIComponent(query) + "&near=" +
      centre.lat.toFixed(6) + "," + centre.lng.toFixed(6) + "&limit=" + config.limit;
    transitMap.getJson(url).then(function (result) {
      if (number !== searchNumber) { return; }
      if (!result.ok) {
        show([], query);
        say(searchStatus, result.body.error ? result.body.error.message : t("search.failed"), true);
        return;
      }
      show(result.body.places, query);
    }).catch(function () {
      if (number === searchNumber) { say(searchStatus, t("search.failed"), true); }
    });
  }

  function pick(index) {
    var place = places[index];
    setOpen(false);
    say(searchStatus, "");
    input.value = place.name;
    var zoom = config.zoom[place.kind] || config.location_zoom;
    if (place.inside_service_area) {
      showSpot(place.lat, place.lon, zoom, t("picked", { name: place.name }), true);
    } else {
      showSpot(place.lat, place.lon, zoom, t("picked.outside", { name: place.name }), false);
    }
  }

  input.addEventListener("input", function () {
    window.clearTimeout(typingTimer);
    typingTimer = window.setTimeout(search, TYPING_PAUSE_MS);
  });

  input.addEventListener("keydown", function (event) {
    var count = places.length;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (!count) { return; }
      if (!isOpen()) { setOpen(true); }
      if (event.altKey) { return; }
      var step = event.key === "ArrowDown" ? 1 : -1;
      setActive(active < 0 ? (step > 0 ? 0 : count - 1) : (active + step + count) % count);
    } else if (event.key === "Enter") {
      // Never sends the request form from here: Enter picks the chosen place (or the first).
      event.preventDefault();
      if (isOpen() && count) { pick(active < 0 ? 0 : active); }
    } else if (event.key === "Escape") {
      if (isOpen()) {
        event.preventDefault();
        setOpen(false);
      } else if (input.value) {
        event.preventDefault();
        input.value = "";
        search();
      }
    }
  });

  input.addEventListener("blur", function () { setOpen(false); });

  /* --- the spot the map was moved to -------------------------------------------------------- */

  function clearSpot() {
    spot = null;
    if (spotRing) { map.removeLayer(spotRing); spotRing = null; }
    pinHere.hidden = true;
  }

  function showSpot(lat, lon, zoom, message, inside) {
    clearSpot();
    spot = { lat: lat, lon: lon };
    map.setView([lat, lon], zoom);
    spotRing = L.circleMarker([lat, lon], {
      radius: 16, color: "#17202a", weight: 3, dashArray: "4 4", fill: false,
      interactive: false, className: "place-spot"
    }).addTo(map);
    say(whereStatus, message, !inside);
    pinHere.hidden = !inside;
    backToArea.hidden = inside || !transitMap.config.fit;
  }

  pinHere.addEventListener("click", function () {
    if (!spot) { return; }
    form.dispatchEvent(new CustomEvent("transitreq:place-pin", { detail: { lat: spot.lat, lon: spot.lon } }));
    document.getElementById("coordinates").focus();
  });

  /* The pin moved (ok null) or was checked: the ring and its button have done their job, and
     a pin outside the area offers the way back. */
  form.addEventListener("transitreq:pin", function (event) {
    clearSpot();
    if (event.detail.ok !== null) {
      backToArea.hidden = event.detail.ok || !transitMap.config.fit;
    }
  });

  backToArea.addEventListener("click", function () {
    // A pin outside the area could not be filed: it goes, and the map frames the area.
    form.dispatchEvent(new CustomEvent("transitreq:clear-pin"));
    transitMap.showServiceArea();
    backToArea.hidden = true;
    say(whereStatus, t("back.done"));
    input.focus();
  });

  /* --- the resident's own location ----------------------------------------------------------- */

  function located(position) {
    var lat = position.coords.latitude;
    var lon = position.coords.longitude;
    var accuracy = Math.max(1, Math.round(position.coords.accuracy || 0));
    var url = config.placement_url + "?lat=" + lat.toFixed(7) + "&lon=" + lon.toFixed(7) + "&radius_m=1";
    transitMap.getJson(url).then(function (result) {
      var inside = result.ok && result.body.placement.ok;
      if (inside) {
        showSpot(lat, lon, config.location_zoom, t("location.found", { accuracy: accuracy }), true);
      } else {
        showSpot(lat, lon, config.outside_zoom, t("location.outside"), false);
      }
    }).catch(function () { say(whereStatus, t("location.unavailable"), true); });
  }

  function notLocated(error) {
    say(whereStatus, t(error && error.code === 1 ? "location.denied" : "location.unavailable"), true);
  }

  locate.addEventListener("click", function () {
    if (!navigator.geolocation) {
      say(whereStatus, t("location.unsupported"), true);
      return;
    }
    say(whereStatus, t("location.finding"));
    navigator.geolocation.getCurrentPosition(located, notLocated,
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });
}());
