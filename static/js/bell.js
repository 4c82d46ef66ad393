// Fills in the bell's unread count after the page has loaded: no admin page pays a query for it.
document.addEventListener("DOMContentLoaded", () => {
  const bell = document.querySelector("a.bell[data-unread-url]");
  if (!bell) return;
  fetch(bell.dataset.unreadUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then((response) => (response.ok ? response.json() : null))
    .then((data) => {
      if (!data || !data.unread) return;
      const badge = bell.querySelector(".bell-count");
      badge.textContent = data.unread > 99 ? "99+" : String(data.unread);
      badge.hidden = false;
      bell.classList.add("has-unread");
    })
    .catch(() => {});
});
