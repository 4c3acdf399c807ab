// Renders /api/openapi.json with Swagger UI, loaded from our own static folder (see
// templates/api/docs.html). No validator badge: it would call a server elsewhere.
"use strict";

(function () {
  const root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  window.SwaggerUIBundle({
    url: root.dataset.specUrl,
    domNode: root,
    deepLinking: true,
    validatorUrl: null,
    defaultModelsExpandDepth: 1,
  });
})();
