// Progressive enhancement of the quick-log page: the page works without this file.
// - the lead search shows matches as you type (GET /m/leads/?q=), built with textContent (no HTML from data);
// - Save is disabled once tapped, so a double tap sends one request (the server's token catches the rest).
(function () {
  "use strict";

  function debounce(fn, wait) {
    let timer = null;
    return function () {
      const args = arguments;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(null, args); }, wait);
    };
  }

  function span(cls, text) {
    const el = document.createElement("span");
    el.className = cls;
    el.textContent = text;
    return el;
  }

  function enhanceSearch() {
    const input = document.getElementById("lead-search");
    const results = document.getElementById("lead-results");
    if (!input || !results || !window.fetch) return;
    const original = Array.from(results.childNodes).map(function (node) { return node.cloneNode(true); });
    let latest = 0;

    function show(rows) {
      const heading = document.createElement("h2");
      heading.textContent = results.dataset.heading;
      if (!rows.length) {
        const empty = document.createElement("p");
        empty.className = "empty";
        empty.textContent = results.dataset.empty;
        results.replaceChildren(heading, empty);
        return;
      }
      const list = document.createElement("ul");
      list.className = "leads";
      rows.forEach(function (row) {
        const link = document.createElement("a");
        link.className = "lead-pick";
        link.href = results.dataset.pickUrl + "?lead=" + encodeURIComponent(row.id);
        link.append(span("code", row.code), span("name", row.name), span("stage", row.stage));
        const item = document.createElement("li");
        item.append(link);
        list.append(item);
      });
      results.replaceChildren(heading, list);
    }

    const search = debounce(function (term) {
      const request = ++latest;
      if (!term) {
        results.replaceChildren.apply(results, original.map(function (node) { return node.cloneNode(true); }));
        return;
      }
      fetch(input.dataset.url + "?q=" + encodeURIComponent(term), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          // A slower answer to an older term must not replace a newer one.
          if (data && request === latest) show(data.results);
        })
        .catch(function () { /* offline or logged out: the Search button still works */ });
    }, 250);

    input.addEventListener("input", function () { search(input.value.trim()); });
  }

  function guardSave() {
    document.querySelectorAll("form.quick-log").forEach(function (form) {
      const button = form.querySelector("button[type=submit]");
      if (!button) return;
      const label = button.textContent;
      form.addEventListener("submit", function () {
        button.disabled = true;
        button.textContent = form.dataset.saving || label;
      });
      // Coming back with the Back button restores the page as it was left: make Save usable again.
      window.addEventListener("pageshow", function () {
        button.disabled = false;
        button.textContent = label;
      });
    });
  }

  enhanceSearch();
  guardSave();
})();
