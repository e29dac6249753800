// otel-llm ui: refresh <main> from the server's own JSON endpoint every data-refresh seconds,
// without reloading the page (the filters, scroll position and focus stay where they are).
// The server renders and escapes the HTML; this script only swaps it in.
"use strict";
(() => {
  const body = document.body;
  const seconds = Number(body.dataset.refresh || 0);
  const main = document.getElementById("main");
  const status = document.getElementById("refreshed");
  if (!seconds || !main || !status) return;
  let busy = false;
  async function refresh() {
    if (busy || document.hidden) return;
    busy = true;
    try {
      const response = await fetch(body.dataset.api, {headers: {Accept: "application/json"}, credentials: "same-origin"});
      const payload = await response.json();
      if (!response.ok) throw new Error(payload.error || response.statusText);
      main.innerHTML = payload.html;
      status.textContent = "Updated " + new Date().toLocaleTimeString() + " (every " + seconds + " s)";
    } catch (error) {
      status.textContent = "Refresh failed: " + error.message + ". Retrying in " + seconds + " s.";
    } finally {
      busy = false;
    }
  }
  status.textContent = "Refreshes every " + seconds + " s";
  setInterval(refresh, seconds * 1000);
})();
