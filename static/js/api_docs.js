// Renders /api/openapi.json with Swagger UI, loaded from our own static folder (see
// templates/api/docs.html). No validator badge: it would call a server elsewhere. No deep links:
// Swagger UI puts them inside each operation's button, a link within a button that keyboards and
// screen readers cannot tell apart; and its server list gets the name its label lacks, in the
// reader's language from the page's catalogue (web/planner_messages.py, in data-messages).
"use strict";

(function () {
  const root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  const messages = JSON.parse(root.dataset.messages || "{}");
  function t(key) {
    return Object.prototype.hasOwnProperty.call(messages, key) ? messages[key] : key;
  }
  window.SwaggerUIBundle({
    url: root.dataset.specUrl,
    domNode: root,
    deepLinking: false,
    validatorUrl: null,
    defaultModelsExpandDepth: 1,
    onComplete: function () {
      const servers = root.querySelector("#servers");
      if (servers) {
        servers.setAttribute("aria-label", t("api_docs.server"));
      }
    },
  });
})();
