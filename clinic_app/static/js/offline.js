/* Blue Box: the peer educator's pages without signal. A form marked data-offline that is sent while the
   phone is offline goes into an outbox in this browser (IndexedDB) instead; the outbox panel says how many
   entries wait and sends them when the connection is back, each with the UUID the phone made, so a repeat
   never stores it twice. A rejected entry stays, showing the server's messages, until it is corrected or
   discarded. A slip issued offline takes a code the phone reserved while online. Sent entries are deleted;
   sign-out deletes everything (entries, codes, cached pages, the worker), and so does a browser left
   unused longer than OFFLINE_KEEP_HOURS (app.js raises the same signal). Entries, drafts and the cached
   pages are contact, slip and crisis case forms: one outbox for all three.

   Why waiting entries are not encrypted here. The obvious scheme, AES-GCM with a non-extractable key
   made per session and kept in IndexedDB as a CryptoKey, protects against nothing this browser's own
   storage does not already: (1) whoever holds the unlocked phone opens the page and the page decrypts
   for her (it must, to list, correct and send the entries); (2) a copy of the browser's files holds the
   key beside the ciphertext (Chromium writes a CryptoKey's key material into the same IndexedDB files;
   "non-extractable" only stops scripts from exporting it); (3) deleting the key at sign-out leaves its
   residue in those same files, next to the ciphertext's. The protection here is deletion: nothing is
   kept once sent, and sign-out, another user's sign-in and the unused-browser limit delete the rest.
   Real protection would need a key the phone does not hold: entries sealed with the clinic server's
   public key (RSA-OAEP or ECDH wrapping an AES-GCM key per entry) and opened only by the server when
   sent; a refused entry would then come back from the server to be corrected. Not built yet. */
(function () {
  "use strict";
  var body = document.body;
  var user = body.getAttribute("data-user");
  var DB = "bluebox-outbox";
  var STORE = "entries";
  var CODES = "bluebox-codes:";
  var store = null;
  try { store = window.localStorage; } catch (e) { store = null; }

  var forgetEverything = function () {
    try { if (window.indexedDB) { window.indexedDB.deleteDatabase(DB); } } catch (e) { /* nothing kept */ }
    if (store) {
      var keys = [];
      for (var i = 0; i < store.length; i++) { keys.push(store.key(i)); }
      keys.forEach(function (key) { if (key && key.indexOf(CODES) === 0) { store.removeItem(key); } });
    }
    if (window.caches) {
      window.caches.keys().then(function (names) {
        names.forEach(function (name) { if (name.indexOf("bluebox-") === 0) { window.caches.delete(name); } });
      });
    }
    if (navigator.serviceWorker && navigator.serviceWorker.getRegistrations) {
      navigator.serviceWorker.getRegistrations().then(function (regs) { regs.forEach(function (r) { r.unregister(); }); });
    }
  };
  if (body.getAttribute("data-clear-draft") === "*") { forgetEverything(); }
  document.addEventListener("bluebox:forget", function () {  // app.js: the browser was left unused too long
    forgetEverything();
    if (navigator.onLine) { window.location.reload(); }
  });

  var panel = document.querySelector("[data-outbox]");
  if (!panel || !user || !window.indexedDB || !window.Promise || !window.fetch) { return; }

  if (navigator.serviceWorker && panel.getAttribute("data-sw")) {
    var scope = new URL(panel.getAttribute("data-scope"), window.location.href).href;
    navigator.serviceWorker.register(panel.getAttribute("data-sw"), { scope: scope }).then(function () {
      return navigator.serviceWorker.getRegistrations();
    }).then(function (regs) {  // a worker of an older scope (/outreach/) would keep the pages it controls
      regs.forEach(function (r) { if (r.scope !== scope) { r.unregister(); } });
      return Promise.all([navigator.serviceWorker.ready, window.caches.keys()]);
    }).then(function (found) {
      var kept = found[1].some(function (name) { return name.indexOf("bluebox-outreach-") === 0; });
      if (found[0].active && (!kept || !navigator.serviceWorker.controller)) { found[0].active.postMessage("refill"); }
    }).catch(function () { /* not a secure context: the outbox still works */ });
  }

  var text = function (name, n) {
    return (panel.getAttribute("data-text-" + name) || "").replace("{n}", String(n));
  };
  var openDb = function () {
    return new Promise(function (resolve, reject) {
      var request = window.indexedDB.open(DB, 1);
      request.onupgradeneeded = function () { request.result.createObjectStore(STORE, { keyPath: "id" }); };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  };
  var withStore = function (mode, fn) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode);
        var request = fn(t.objectStore(STORE));
        t.oncomplete = function () { db.close(); resolve(request ? request.result : undefined); };
        t.onerror = function () { db.close(); reject(t.error); };
      });
    });
  };
  var put = function (entry) { return withStore("readwrite", function (s) { return s.put(entry); }); };
  var remove = function (id) { return withStore("readwrite", function (s) { return s.delete(id); }); };
  // Only the signed-in user's entries: another user's left on this phone are deleted, like drafts.
  var mine = function () {
    return withStore("readonly", function (s) { return s.getAll(); }).then(function (entries) {
      var others = entries.filter(function (e) { return e.user !== user; });
      return Promise.all(others.map(function (e) { return remove(e.id); })).then(function () {
        return entries.filter(function (e) { return e.user === user; })
          .sort(function (a, b) { return a.created < b.created ? -1 : 1; });
      });
    });
  };
  var uuid = function () {
    var b = new Uint8Array(16);
    window.crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  };
  var today = function () {
    var d = new Date();
    return d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" + String(d.getDate()).padStart(2, "0");
  };

  // Slip codes reserved while online (not identifying): kept per user until used or signed out.
  var codes = function () {
    try { return JSON.parse(store.getItem(CODES + user)) || []; } catch (e) { return []; }
  };
  var freeCodes = function (entries) {
    var used = entries.map(function (e) { return e.code; });
    return codes().filter(function (c) { return used.indexOf(c.code) === -1 && c.expires_on >= today(); });
  };

  var status = "";
  // navigator.onLine says only whether the phone has a network; a request that fails says the clinic
  // cannot be reached (a weak signal, a network without internet): both are offline for the outbox.
  var reachable = true;
  var getJson = function (url) {
    return fetch(url, { credentials: "same-origin", redirect: "manual", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (r.type === "opaqueredirect" || !r.ok) { throw { signedOut: true }; }
        return r.json();
      });
  };
  var postJson = function (url, token, payload) {
    return fetch(url, {
      method: "POST", credentials: "same-origin", redirect: "manual",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": token },
      body: JSON.stringify(payload)
    });
  };
  var refreshCodes = function (token, entries) {
    if (!store || !panel.getAttribute("data-codes-url") || freeCodes(entries).length >= 5) { return Promise.resolve(); }
    return postJson(panel.getAttribute("data-codes-url"), token, {}).then(function (r) {
      if (!r.ok) { return; }
      return r.json().then(function (j) { store.setItem(CODES + user, JSON.stringify(j.codes)); });
    });
  };
  var send = function (entry, token) {
    var url = panel.getAttribute("data-" + entry.kind + "-url");
    var payload = {
      uuid: entry.id, fields: entry.fields, created: entry.created, code: entry.code || null, issued_on: entry.issued_on || null
    };
    return postJson(url, token, payload).then(function (r) {
      if (r.status === 200) {
        if (entry.code && store) {  // a code the clinic now holds is never offered again
          store.setItem(CODES + user, JSON.stringify(codes().filter(function (c) { return c.code !== entry.code; })));
        }
        return remove(entry.id);
      }
      if (r.status === 422) {
        return r.json().then(function (j) { entry.errors = j.errors; entry.message = j.message; return put(entry); });
      }
      throw { signedOut: r.type === "opaqueredirect" || r.status === 401 || r.status === 403 };
    });
  };
  var sending = false;
  var flush = function () {
    if (sending || !navigator.onLine) { render(); return Promise.resolve(); }
    sending = true;
    render();
    var token;
    return mine().then(function (entries) {
      return getJson(panel.getAttribute("data-token-url")).then(function (t) {
        token = t.csrf_token;
        var waiting = entries.filter(function (e) { return !e.errors; });
        return waiting.reduce(function (p, e) { return p.then(function () { return send(e, token); }); }, Promise.resolve())
          .then(function () { status = waiting.length ? text("sent") : ""; });
      }).then(function () { return mine(); }).then(function (left) { return refreshCodes(token, left); });
    }).then(function () { reachable = true; }, function (error) {
      reachable = !!(error && error.signedOut);
      status = reachable ? text("signin") : text("failed");
    }).then(function () { sending = false; render(); });
  };

  var list = panel.querySelector("[data-outbox-list]");
  var state = panel.querySelector("[data-outbox-state]");
  var render = function () {
    return mine().then(function (entries) {
      var now = !navigator.onLine ? "offline" : sending ? "sending" : reachable ? "online" : "unreachable";
      var n = entries.length;
      // One line that says it all: "Offline — 2 waiting".
      state.textContent = text("state-" + now) + " — " +
        (n === 0 ? text("waiting-none") : n === 1 ? text("waiting-one") : text("waiting-many", n));
      state.className = "outbox-state is-" + now;
      panel.classList.toggle("is-offline", now === "offline" || now === "unreachable");
      panel.hidden = !n && !status && now !== "offline" && now !== "unreachable";
      panel.querySelector("[data-outbox-count]").textContent =
        entries.length === 1 ? text("one", 1) : text("many", entries.length);
      panel.querySelector("[data-outbox-status]").textContent = navigator.onLine ? status : text("offline");
      panel.querySelector("[data-outbox-codes]").textContent = text("codes", freeCodes(entries).length);
      list.textContent = "";
      entries.forEach(function (entry) {
        var item = document.createElement("li");
        item.setAttribute("data-entry", entry.id);
        var what = document.createElement("b");
        what.textContent = text("kind-" + entry.kind) + " · " + entry.created.slice(0, 10) + (entry.code ? " · " + entry.code.slice(0, 4) + "-" + entry.code.slice(4) : "");
        item.appendChild(what);
        (entry.errors || []).forEach(function (err) {
          var p = document.createElement("p");
          p.className = "error";
          p.textContent = (err.label ? err.label + ": " : "") + err.message;
          item.appendChild(p);
        });
        if (entry.errors) {
          var fix = document.createElement("button");
          fix.type = "button";
          fix.className = "secondary";
          fix.textContent = text("correct");
          fix.addEventListener("click", function () { correct(entry); });
          item.appendChild(fix);
        }
        var drop = document.createElement("button");
        drop.type = "button";
        drop.className = "link";
        drop.textContent = text("discard");
        drop.addEventListener("click", function () {
          if (window.confirm(text("discard-confirm"))) { remove(entry.id).then(render); }
        });
        item.appendChild(drop);
        list.appendChild(item);
      });
    });
  };

  var form = document.querySelector("form[data-offline]");
  var fill = function (entry) {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.name === "csrf_token" || el.name === "submission_key") { return; }
      var values = entry.fields[el.name] || [];
      if (el.type === "checkbox" || el.type === "radio") { el.checked = values.indexOf(el.value) !== -1; }
      else { el.value = values.length ? values[0] : ""; }
    });
  };
  var correct = function (entry) {
    if (!form || form.getAttribute("data-offline") !== entry.kind) {
      window.location.href = panel.getAttribute("data-" + entry.kind + "-form") + "#outbox-" + entry.id;
      return;
    }
    fill(entry);
    // Sent again through the outbox with the same UUID (and the same slip code): never twice.
    form.setAttribute("data-outbox-id", entry.id);
    form.scrollIntoView();
  };
  var showSlip = function (code) {
    var slip = document.querySelector("[data-offline-slip]");
    if (!slip) { return; }
    slip.querySelector("[data-slip-code]").textContent = code.display;
    var img = slip.querySelector("[data-slip-qr]");
    img.src = code.qr;
    slip.hidden = false;
    slip.scrollIntoView();
  };
  if (form) {
    form.addEventListener("submit", function (event) {
      var again = form.getAttribute("data-outbox-id");
      if (navigator.onLine && reachable && !again) { return; }
      event.preventDefault();
      var kind = form.getAttribute("data-offline");
      var fields = {};
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!el.name || el.name === "csrf_token" || el.name === "submission_key") { return; }
        if ((el.type === "checkbox" || el.type === "radio") && !el.checked) { return; }
        (fields[el.name] = fields[el.name] || []).push(el.value);
      });
      var button = form.querySelector("button[type=submit]");
      mine().then(function (entries) {
        var previous = entries.filter(function (e) { return e.id === again; })[0];
        var entry = { id: again || uuid(), kind: kind, user: user, fields: fields, created: new Date().toISOString() };
        var code = null;
        if (kind === "referral") {
          if (previous && previous.code) {
            entry.code = previous.code;
          } else {
            code = freeCodes(entries)[0];
            if (!code) { status = text("no-codes"); return render(); }
            entry.code = code.code;
          }
          entry.issued_on = previous ? previous.issued_on : today();
        }
        return put(entry).then(function () {
          form.removeAttribute("data-outbox-id");
          form.reset();
          var draft = form.getAttribute("data-draft");
          setTimeout(function () {
            try { window.sessionStorage.removeItem("draft:" + user + ":" + draft); } catch (e) { /* none */ }
            if (button) { button.disabled = false; }
          }, 20);
          status = text("kept");
          if (code) { showSlip(code); }
          return navigator.onLine ? flush() : render();
        });
      });
    });
    var wanted = (window.location.hash || "").replace("#outbox-", "");
    if (wanted) {
      mine().then(function (entries) {
        entries.filter(function (e) { return e.id === wanted; }).forEach(correct);
      });
    }
  }
  var signOut = document.querySelector("form[data-sign-out]");
  if (signOut) {
    signOut.addEventListener("submit", function (event) {
      if (signOut.getAttribute("data-confirmed")) { return; }
      event.preventDefault();
      mine().then(function (entries) {
        if (!entries.length || window.confirm(text("signout-confirm", entries.length))) {
          signOut.setAttribute("data-confirmed", "1");
          signOut.submit();
        }
      });
    });
  }
  var sendNow = panel.querySelector("[data-outbox-send]");
  sendNow.addEventListener("click", function () {
    mine().then(function (entries) {
      return Promise.all(entries.map(function (e) { delete e.errors; return put(e); }));
    }).then(flush);
  });
  window.addEventListener("online", flush);
  window.addEventListener("offline", render);
  setInterval(flush, 30000);
  flush();
})();
