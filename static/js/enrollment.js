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

  function show(job) {
    stateEl.textContent = job.state;
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
