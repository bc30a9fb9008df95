// mockkpr's web view: progressive enhancement only. Every page works without this file.
// - the messages list refreshes itself (polling /live/messages; 304 when nothing changed);
// - the filter form applies a changed select at once.
"use strict";
(function () {
  var POLL_MS = 2000;

  function liveList() {
    var marker = document.getElementById("live");
    var rows = document.getElementById("rows");
    var counts = document.getElementById("counts");
    var total = document.getElementById("total");
    if (!marker || !rows) { return; }
    var url = marker.getAttribute("data-url");
    var etag = null;
    var newest = 0;
    rows.querySelectorAll("tr[data-id]").forEach(function (row) {
      newest = Math.max(newest, parseInt(row.getAttribute("data-id"), 10) || 0);
    });
    marker.hidden = false;

    function poll() {
      if (document.hidden) { schedule(); return; }
      var headers = etag ? { "If-None-Match": etag } : {};
      fetch(url, { headers: headers, credentials: "same-origin", cache: "no-cache" })
        .then(function (response) {
          if (response.status === 304) { return null; }
          if (!response.ok) { throw new Error("HTTP " + response.status); }
          etag = response.headers.get("ETag");
          return response.json();
        })
        .then(function (body) {
          marker.classList.remove("stale");
          if (!body) { return; }
          rows.innerHTML = body.rows;      // server-rendered, every value escaped there
          counts.innerHTML = body.counts;
          if (total) {
            total.textContent = body.total + (body.total === 1 ? " message." : " messages.");
          }
          rows.querySelectorAll("tr[data-id]").forEach(function (row) {
            if ((parseInt(row.getAttribute("data-id"), 10) || 0) > newest) {
              row.classList.add("new");
            }
          });
          newest = Math.max(newest, body.newest || 0);
        })
        .catch(function () { marker.classList.add("stale"); })
        .then(schedule);
    }

    function schedule() { window.setTimeout(poll, POLL_MS); }
    schedule();
  }

  function autoFilter() {
    var form = document.getElementById("filters");
    if (!form) { return; }
    form.querySelectorAll("select").forEach(function (select) {
      select.addEventListener("change", function () {
        // leave empty fields out of the URL
        form.querySelectorAll("input, select").forEach(function (field) {
          field.disabled = !field.value;
        });
        form.submit();
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    liveList();
    autoFilter();
  });
})();
