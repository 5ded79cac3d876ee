// Swagger UI's initialiser (a stock Swagger page has it inline, which the CSP forbids): the schema URL and
// the CSRF token come from data attributes of #swagger-ui, so "Try it out" works with the session.
(function () {
  "use strict";
  var el = document.getElementById("swagger-ui");
  if (!el || typeof SwaggerUIBundle === "undefined") { return; }
  var csrf = el.getAttribute("data-csrf-token");
  window.vpnportalSwagger = SwaggerUIBundle({
    url: el.getAttribute("data-schema-url"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    // The public validator badge would load an image from swagger.io (and break the CSP).
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: "BaseLayout",
    requestInterceptor: function (request) {
      if (csrf) { request.headers["X-CSRFToken"] = csrf; }
      return request;
    },
    onComplete: function () { el.setAttribute("data-state", "ready"); }
  });
})();
