// Follows a running import on its job page: the bar and its text from the status URL once a second, and a
// reload when the job has finished, so the page shows the preview (or the problem) the server renders.
document.addEventListener("DOMContentLoaded", () => {
  const bar = document.querySelector("progress[data-status-url]");
  if (!bar) return;
  const text = document.getElementById(bar.dataset.textId);

  const poll = () => {
    fetch(bar.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : null))
      .then((data) => {
        if (!data) {
          window.setTimeout(poll, 5000);
          return;
        }
        if (!data.in_progress) {
          window.location.reload();
          return;
        }
        // Only checking reports counted progress; importing is one transaction and shows a moving bar.
        if (data.status === "validating" && data.total_rows) {
          bar.max = data.total_rows;
          bar.value = data.processed_rows;
        } else {
          bar.removeAttribute("value");
        }
        if (text) text.textContent = data.progress_text;
        window.setTimeout(poll, 1000);
      })
      .catch(() => window.setTimeout(poll, 5000));
  };
  window.setTimeout(poll, 1000);
});
