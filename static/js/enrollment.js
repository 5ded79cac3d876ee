// Enrollment page: follow the job's state and transcript from the API until it is granted or failed.
(function () {
  "use strict";
  var card = document.getElementById("enrollment");
  if (!card) { return; }
  var url = card.getAttribute("data-api-url");
  var stateEl = document.getElementById("enrollment-state");
  var serialEl = document.getElementById("enrollment-new-serial");
  var errorEl = document.getElementById("enrollment-error");
  var transcriptEl = document.getElementById("enrollment-transcript");
  var finished = { granted: true, failed: true };
  var delayMs = 2000;
  // Texts come from the JavaScript catalogue (/jsi18n/, loaded before this script); without it, English.
  var pgettext = window.pgettext || function (context, s) { return s; };
  // The badge shows the state in the page's language; its class keeps the API's raw value.
  var stateLabels = {
    queued: pgettext("status", "queued"),
    running: pgettext("status", "running"),
    pending: pgettext("status", "pending"),
    granted: pgettext("status", "granted"),
    failed: pgettext("status", "failed")
  };

  function show(job) {
    stateEl.textContent = stateLabels[job.state] || job.state;
    stateEl.className = "badge status-" + job.state;
    serialEl.textContent = job.new_serial || "\u2014";
    errorEl.textContent = job.error || "\u2014";
    if (transcriptEl.textContent !== job.transcript) {
      var atBottom = transcriptEl.scrollTop + transcriptEl.clientHeight >= transcriptEl.scrollHeight - 4;
      transcriptEl.textContent = job.transcript;
      if (atBottom) { transcriptEl.scrollTop = transcriptEl.scrollHeight; }
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (job) {
        show(job);
        if (!finished[job.state]) { window.setTimeout(poll, delayMs); }
      })
      .catch(function () { window.setTimeout(poll, delayMs * 3); });
  }

  if (card.getAttribute("data-active") === "1") { window.setTimeout(poll, 500); }
})();
