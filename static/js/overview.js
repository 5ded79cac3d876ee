// Overview auto-refresh: fetch the sections as an HTML fragment and swap them in, no full reload.
(function () {
  "use strict";
  var box = document.getElementById("overview");
  if (!box) { return; }
  var url = box.getAttribute("data-refresh-url");
  var seconds = parseInt(box.getAttribute("data-refresh-seconds"), 10) || 30;
  var note = document.getElementById("refresh-state");
  // Texts come from the JavaScript catalogue (/jsi18n/, loaded before this script); without it, English.
  var gettext = window.gettext || function (s) { return s; };
  var interpolate = window.interpolate || function (fmt, obj) {
    return fmt.replace(/%\(\w+\)s/g, function (m) { return String(obj[m.slice(2, -2)]); });
  };
  var lang = document.documentElement.lang || undefined;

  function say(text) { if (note) { note.textContent = text; } }

  function refresh() {
    // A hidden tab does not need fresh numbers; it catches up when shown again.
    if (document.hidden) { return; }
    // An open form (someone choosing what to silence) must not be wiped from under them.
    if (box.contains(document.activeElement) && /^(INPUT|SELECT|TEXTAREA)$/.test(document.activeElement.tagName)) { return; }
    fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        // An expired session lands on the login page: reload so the user sees it.
        if (response.redirected && response.url.indexOf("/login/") !== -1) { window.location.reload(); return null; }
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(function (html) {
        if (html === null) { return; }
        // A group someone opened (long-standing, acknowledged) stays open across the refresh.
        var open = [].slice.call(box.querySelectorAll("details[id][open]")).map(function (d) { return d.id; });
        box.innerHTML = html;
        open.forEach(function (id) { var d = document.getElementById(id); if (d) { d.open = true; } });
        box.setAttribute("data-refreshed-at", new Date().toISOString());
        say(interpolate(gettext("updated %(time)s"), { time: new Date().toLocaleTimeString(lang) }, true));
      })
      .catch(function (err) { say(interpolate(gettext("refresh failed (%(error)s), retrying"), { error: err.message }, true)); });
  }

  window.setInterval(refresh, seconds * 1000);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { refresh(); } });
  window.vpnportalRefreshOverview = refresh;
})();
