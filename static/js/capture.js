// Quick capture with an offline queue. The page works without this file (the form posts and the server's key
// catches a double tap). With it, every entry is first written to IndexedDB — it survives a dead connection,
// closing the tab or a flat battery — and then sent, oldest first, each with its own key in Idempotency-Key: an
// entry sent twice (a lost answer, two tabs) is saved once.
(function () {
  "use strict";

  var DB_NAME = "shp-capture";
  var STORE = "outbox";
  var RETRY_MS = 30000;

  var form = document.querySelector("form.capture");
  if (!form || !window.indexedDB || !window.fetch || !window.Promise) return;

  var keyInput = form.querySelector("input[name=key]");
  var queueBox = document.getElementById("queue");
  var countEl = document.getElementById("unsent-count");
  var stateEl = document.getElementById("queue-state");
  var statusBox = document.getElementById("capture-status");
  var fixBox = document.getElementById("needs-fix");
  var fixList = document.getElementById("needs-fix-list");
  var fixRow = document.getElementById("needs-fix-row");
  var recentList = document.getElementById("recent-list");
  var recentEmpty = document.getElementById("recent-empty");
  var submitUrl = form.dataset.submitUrl;
  var sending = false;

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, "");
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  // --- IndexedDB, promised -------------------------------------------------------------------------------------
  var dbPromise = new Promise(function (resolve, reject) {
    var request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = function () {
      request.result.createObjectStore(STORE, { keyPath: "key" });
    };
    request.onsuccess = function () { resolve(request.result); };
    request.onerror = function () { reject(request.error); };
  });

  function withStore(mode, work) {
    return dbPromise.then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var result = work(tx.objectStore(STORE));
        tx.oncomplete = function () { resolve(result && "result" in result ? result.result : undefined); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  function allEntries() {
    return withStore("readonly", function (store) { return store.getAll(); }).then(function (rows) {
      // Only this event's entries are sent from this page; others wait for their own event's page.
      return (rows || [])
        .filter(function (row) { return row.url === submitUrl; })
        .sort(function (a, b) { return a.queuedAt - b.queuedAt; });
    });
  }
  function putEntry(entry) { return withStore("readwrite", function (store) { store.put(entry); }); }
  function deleteEntry(key) { return withStore("readwrite", function (store) { store.delete(key); }); }

  // --- The form as an entry --------------------------------------------------------------------------------------
  function formBody() {
    var body = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.name === "key" || el.name === "csrfmiddlewaretoken" || el.disabled) return;
      if (el.type === "checkbox") {
        body[el.name] = body[el.name] || [];
        if (el.checked) body[el.name].push(el.value);
      } else if (el.type === "radio") {
        if (!(el.name in body)) body[el.name] = "";
        if (el.checked) body[el.name] = el.value;
      } else {
        body[el.name] = el.value;
      }
    });
    return body;
  }

  function fillForm(body) {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || !(el.name in body)) return;
      var value = body[el.name];
      if (el.type === "checkbox") el.checked = Array.isArray(value) && value.indexOf(el.value) !== -1;
      else if (el.type === "radio") el.checked = value === el.value;
      else el.value = value;
    });
  }

  function clearForm() {
    form.reset();
    Array.prototype.forEach.call(form.querySelectorAll("input[type=text], input[type=tel], input[type=email], textarea"),
      function (el) { el.value = ""; });
    keyInput.value = newKey();
    form.querySelector("input[name=name]").focus();
  }

  // --- What the page shows ---------------------------------------------------------------------------------------
  function showStatus(message, hint, kind) {
    var box = document.createElement("section");
    box.className = kind || "saved";
    box.setAttribute("role", "status");
    var line = document.createElement("p");
    line.textContent = message;
    box.append(line);
    if (hint) {
      var hintLine = document.createElement("p");
      hintLine.className = "match-hint";
      hintLine.textContent = hint;
      box.append(hintLine);
    }
    statusBox.replaceChildren(box);
  }

  function addRecent(name) {
    if (!recentList) return;
    var item = document.createElement("li");
    item.textContent = name;
    recentList.prepend(item);
    if (recentEmpty) recentEmpty.hidden = true;
  }

  function refresh() {
    return allEntries().then(function (entries) {
      var waiting = entries.filter(function (entry) { return !entry.error; });
      var broken = entries.filter(function (entry) { return entry.error; });
      countEl.textContent = String(waiting.length);
      queueBox.hidden = waiting.length === 0;
      fixBox.hidden = broken.length === 0;
      fixList.replaceChildren.apply(fixList, broken.map(fixItem));
      return waiting.length;
    });
  }

  function fixItem(entry) {
    var item = fixRow.content.firstElementChild.cloneNode(true);
    item.querySelector(".name").textContent = entry.body.name || "—";
    item.querySelector(".reason").textContent = entry.error;
    item.querySelector(".edit").addEventListener("click", function () {
      fillForm(entry.body);
      keyInput.value = newKey();
      deleteEntry(entry.key).then(refresh);
      form.querySelector("input[name=name]").focus();
    });
    item.querySelector(".discard").addEventListener("click", function () {
      deleteEntry(entry.key).then(refresh);
    });
    return item;
  }

  function errorText(data) {
    var errors = (data && data.errors) || {};
    return Object.keys(errors).map(function (field) { return errors[field].join(" "); }).join(" ");
  }

  // --- Sending ---------------------------------------------------------------------------------------------------
  function sendOne(entry) {
    return fetch(submitUrl, {
      method: "POST",
      credentials: "same-origin",
      redirect: "manual",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": form.querySelector("input[name=csrfmiddlewaretoken]").value,
        "Idempotency-Key": entry.key,
      },
      body: JSON.stringify(entry.body),
    }).then(function (response) {
      if (response.type === "opaqueredirect" || response.status === 401 || response.status === 403) {
        return { stop: form.dataset.login };
      }
      if (response.status >= 500) return { stop: form.dataset.retry };
      return response.json().then(function (data) {
        if (response.status === 200 || response.status === 201) {
          return deleteEntry(entry.key).then(function () {
            showStatus(data.message, data.hint);
            addRecent(data.name);
            return {};
          });
        }
        // 400 or 422: the server will never take this entry as it is; keep it for the recorder to fix.
        entry.error = response.status === 422 ? form.dataset.conflict : errorText(data);
        return putEntry(entry).then(function () { return {}; });
      });
    });
  }

  function flush() {
    if (sending) return Promise.resolve();
    sending = true;
    return allEntries()
      .then(function (entries) {
        var waiting = entries.filter(function (entry) { return !entry.error; });
        if (waiting.length) stateEl.textContent = form.dataset.sending;
        return waiting.reduce(function (chain, entry) {
          return chain.then(function (stopped) { return stopped ? stopped : sendOne(entry).then(function (r) { return r.stop; }); });
        }, Promise.resolve(undefined));
      })
      .then(function (stopped) { stateEl.textContent = stopped || ""; })
      .catch(function () { stateEl.textContent = form.dataset.offline; })
      .then(function () { sending = false; return refresh(); });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var body = formBody();
    var nameInput = form.querySelector("input[name=name]");
    if (!String(body.name || "").trim()) {
      // The one field the server requires: say so here rather than queue an entry that cannot be saved.
      nameInput.setAttribute("required", "");
      nameInput.reportValidity();
      nameInput.focus();
      return;
    }
    var entry = { key: keyInput.value || newKey(), url: submitUrl, body: body, queuedAt: Date.now() };
    putEntry(entry).then(function () {
      clearForm();
      showStatus(form.dataset.queued, "", "queued");
      return refresh();
    }).then(flush);
  });

  // --- Organization suggestions (names and aliases: '港科大' offers HKUST) -------------------------------------------
  var orgInput = form.querySelector("input[name=organization]");
  var orgList = document.getElementById("organization-options");
  var orgTimer = null;
  var orgLatest = 0;
  if (orgInput && orgList) {
    orgInput.addEventListener("input", function () {
      clearTimeout(orgTimer);
      var term = orgInput.value.trim();
      orgTimer = setTimeout(function () {
        var request = ++orgLatest;
        if (!term) { orgList.replaceChildren(); return; }
        fetch(form.dataset.organizationsUrl + "?q=" + encodeURIComponent(term), {
          credentials: "same-origin", headers: { Accept: "application/json" },
        })
          .then(function (response) { return response.ok ? response.json() : null; })
          .then(function (data) {
            if (!data || request !== orgLatest) return;
            orgList.replaceChildren.apply(orgList, data.results.map(function (row) {
              var option = document.createElement("option");
              option.value = row.name;
              return option;
            }));
          })
          .catch(function () { /* offline: the typed name is kept as written */ });
      }, 200);
    });
  }

  window.addEventListener("online", flush);
  setInterval(function () { if (navigator.onLine !== false) flush(); }, RETRY_MS);
  refresh().then(flush);
})();
