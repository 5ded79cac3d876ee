// Topology page: the fleet drawn as plain SVG. Devices are nodes, tunnels are edges coloured by status;
// each is a link to its page. A small deterministic force layout places the nodes (same picture each load).
(function () {
  "use strict";
  var box = document.getElementById("topology");
  var svg = document.getElementById("topology-svg");
  var source = document.getElementById("topology-data");
  if (!box || !svg || !source) { return; }
  var graph = JSON.parse(source.textContent);
  var NS = "http://www.w3.org/2000/svg";
  var nodes = graph.nodes, edges = graph.edges;
  window.vpnportalTopology = graph;
  // Texts come from the JavaScript catalogue (/jsi18n/, loaded before this script); without it, English.
  var gettext = window.gettext || function (s) { return s; };
  var pgettext = window.pgettext || function (context, s) { return s; };
  var interpolate = window.interpolate || function (fmt, obj) {
    return fmt.replace(/%\(\w+\)s/g, function (m) { return String(obj[m.slice(2, -2)]); });
  };
  // Tunnel and poll statuses in the page's language; the classes keep the raw values.
  var statusLabels = {
    up: pgettext("status", "up"), down: pgettext("status", "down"), degraded: pgettext("status", "degraded"),
    unknown: pgettext("status", "unknown"), ok: pgettext("status", "ok"), partial: pgettext("status", "partial"),
    failed: pgettext("status", "failed"), running: pgettext("status", "running")
  };
  function statusLabel(s) { return statusLabels[s] || s; }

  function el(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (parent) { parent.appendChild(e); }
    return e;
  }

  function title(parent, text) { el("title", {}, parent).textContent = text; }

  var width = Math.max(600, box.clientWidth - 24);
  var height = Math.max(420, Math.min(1000, Math.round(160 * Math.sqrt(Math.max(1, nodes.length)))));
  svg.setAttribute("viewBox", "0 0 " + width + " " + height);
  svg.setAttribute("width", width);
  svg.setAttribute("height", height);

  // 1. Start on a circle in name order, 2. spring the tunnels together and push every pair apart, cooling down.
  var byId = {};
  nodes.forEach(function (n, i) {
    var angle = 2 * Math.PI * i / Math.max(1, nodes.length);
    n.x = width / 2 + Math.cos(angle) * width * 0.35;
    n.y = height / 2 + Math.sin(angle) * height * 0.35;
    byId[n.id] = n;
  });
  var k = Math.sqrt(width * height / Math.max(1, nodes.length)) * 0.6;
  var temperature = width / 8;
  for (var step = 0; step < 250 && nodes.length > 1; step++) {
    nodes.forEach(function (n) { n.dx = 0; n.dy = 0; });
    for (var i = 0; i < nodes.length; i++) {
      for (var j = i + 1; j < nodes.length; j++) {
        var a = nodes[i], b = nodes[j];
        var dx = a.x - b.x, dy = a.y - b.y, d = Math.max(1, Math.sqrt(dx * dx + dy * dy));
        var f = k * k / d;
        a.dx += dx / d * f; a.dy += dy / d * f; b.dx -= dx / d * f; b.dy -= dy / d * f;
      }
    }
    edges.forEach(function (e) {
      var a = byId[e.a], b = byId[e.b];
      if (!a || !b || a === b) { return; }
      var dx = a.x - b.x, dy = a.y - b.y, d = Math.max(1, Math.sqrt(dx * dx + dy * dy));
      var f = d * d / k;
      a.dx -= dx / d * f; a.dy -= dy / d * f; b.dx += dx / d * f; b.dy += dy / d * f;
    });
    nodes.forEach(function (n) {
      n.dx += (width / 2 - n.x) * 0.02 * k / 10; n.dy += (height / 2 - n.y) * 0.02 * k / 10;  // gravity
      var d = Math.max(1, Math.sqrt(n.dx * n.dx + n.dy * n.dy));
      n.x += n.dx / d * Math.min(d, temperature);
      n.y += n.dy / d * Math.min(d, temperature);
      n.x = Math.min(width - 60, Math.max(60, n.x));
      n.y = Math.min(height - 60, Math.max(30, n.y));  // room for the two label lines under the lowest node
    });
    temperature *= 0.97;
  }

  // Several tunnels between the same two devices bend apart instead of drawing over each other.
  var pairs = {};
  var edgeLayer = el("g", { "class": "edges" }, svg);
  var nodeLayer = el("g", { "class": "nodes" }, svg);
  edges.forEach(function (e) {
    var a = byId[e.a], b = byId[e.b];
    if (!a || !b) { return; }
    var key = Math.min(e.a, e.b) + "-" + Math.max(e.a, e.b);
    var nth = pairs[key] = (pairs[key] || 0) + 1;
    var bend = (nth % 2 ? 1 : -1) * Math.floor(nth / 2) * 26;
    var mx = (a.x + b.x) / 2, my = (a.y + b.y) / 2;
    var len = Math.max(1, Math.sqrt((b.x - a.x) * (b.x - a.x) + (b.y - a.y) * (b.y - a.y)));
    var cx = mx - (b.y - a.y) / len * bend, cy = my + (b.x - a.x) / len * bend;
    var link = el("a", { href: e.url, "class": "edge edge-" + e.status, "data-tunnel": e.name }, edgeLayer);
    title(link, interpolate(gettext("tunnel %(name)s: %(status)s"), { name: e.name, status: statusLabel(e.status) }, true) + (e.reason ? " — " + e.reason : ""));
    var d = "M" + a.x.toFixed(1) + "," + a.y.toFixed(1) + " Q" + cx.toFixed(1) + "," + cy.toFixed(1) + " " + b.x.toFixed(1) + "," + b.y.toFixed(1);
    el("path", { d: d, "class": "edge-hit" }, link);
    el("path", { d: d, "class": "edge-line" }, link);
    var lx = (mx + cx) / 2, ly = (my + cy) / 2;
    el("text", { x: lx.toFixed(1), y: (ly - 6).toFixed(1), "class": "edge-label" }, link).textContent = e.name;
  });
  nodes.forEach(function (n) {
    var bad = n.status !== "ok" || n.stale;
    var link = el("a", { href: n.url, "class": "node" + (bad ? " node-bad" : "") + " node-" + n.status, "data-device": n.name }, nodeLayer);
    title(link, interpolate(n.stale ? gettext("%(name)s (%(platform)s), last poll %(status)s, state stale") : gettext("%(name)s (%(platform)s), last poll %(status)s"),
                            { name: n.name, platform: n.platform, status: statusLabel(n.status) }, true));
    el("circle", { cx: n.x.toFixed(1), cy: n.y.toFixed(1), r: 16 }, link);
    el("text", { x: n.x.toFixed(1), y: (n.y + 32).toFixed(1), "class": "node-label" }, link).textContent = n.name;
    el("text", { x: n.x.toFixed(1), y: (n.y + 46).toFixed(1), "class": "node-sub" }, link).textContent = n.platform;
  });
  box.setAttribute("data-state", "drawn");
})();
