// A page while a worker does the work (the CSV import checking or importing
// the file, a ZIP of invoices being built): moves the progress bar without
// reloading, and reloads once the work ends. Without JavaScript the page
// refreshes itself (<noscript> meta refresh).
(() => {
  const section = document.querySelector("[data-status-url]");
  const bar = section.querySelector("[data-progress]");
  const text = section.querySelector("[data-progress-text]");
  const number = (n) => n.toLocaleString("ja-JP");
  // "{total}行中 {done}行", translated by the template.
  const format = text.dataset.progressFormat;
  const poll = async () => {
    try {
      const response = await fetch(section.dataset.statusUrl, { headers: { Accept: "application/json" } });
      const state = await response.json();
      if (!state.in_progress) {
        window.location.reload();
        return;
      }
      bar.max = Math.max(state.total, 1);
      bar.value = state.done;
      text.textContent = format.replace("{total}", number(state.total)).replace("{done}", number(state.done));
    } catch (error) {
      // A dropped request: try again at the next turn.
    }
    window.setTimeout(poll, 2000);
  };
  window.setTimeout(poll, 2000);
})();
