/* Blue Box: small progressive enhancements. The app works without this file. */
(function () {
  "use strict";
  // Drafts: a form with data-draft="name" keeps what was typed in this tab's sessionStorage, so a
  // dropped signal or a session that timed out loses nothing: after signing in again the form opens
  // with the entries restored (a note says so, with a button to discard them). Drafts belong to the
  // user who typed them: another user's are dropped when someone else signs in on this tab. The
  // server asks to forget a draft once it is saved (body data-clear-draft="name"), and every draft
  // at sign-out (data-clear-draft="*").
  //
  // A browser left unused longer than the clinic's OFFLINE_KEEP_HOURS (body data-keep-minutes) forgets
  // everything typed or waiting on it, the next time a page of the app opens or while one stays open:
  // drafts here, and (data-clear-draft="*", the sign-out signal) the outbox, slip codes and cached pages
  // in offline.js. The session's own 15-minute idle time-out does not: the same person signs in again and
  // finds her entries (issue 14), and entries waiting for signal are what the outbox is for; nobody
  // else sees them (they are shown and sent only to their user, and another user's sign-in deletes them).
  var store = null;
  try { store = window.sessionStorage; } catch (e) { store = null; }
  var body = document.body;
  var user = body.getAttribute("data-user");
  var prefix = "draft:" + (user || "") + ":";
  var local = null;
  try { local = window.localStorage; } catch (e) { local = null; }
  var SEEN = "bluebox-seen";
  var keep = Number(body.getAttribute("data-keep-minutes") || 0) * 60000;
  var unused = function () {
    var seen = Number((local && local.getItem(SEEN)) || 0);
    return keep > 0 && seen > 0 && Date.now() - seen > keep;
  };
  if (unused()) { body.setAttribute("data-clear-draft", "*"); }
  var clear = body.getAttribute("data-clear-draft");
  var eachDraftKey = function (fn) {
    var keys = [];
    for (var i = 0; i < store.length; i++) { keys.push(store.key(i)); }
    keys.forEach(function (key) { if (key && key.indexOf("draft:") === 0) { fn(key); } });
  };
  if (store) {
    if (clear === "*") {
      eachDraftKey(function (key) { store.removeItem(key); });
    } else if (clear) {
      eachDraftKey(function (key) {
        if (key === prefix + clear || key.indexOf(prefix + clear + "-") === 0) { store.removeItem(key); }
      });
    }
    if (user) {
      eachDraftKey(function (key) { if (key.indexOf(prefix) !== 0) { store.removeItem(key); } });
    }
  }
  if (local && keep > 0) {
    var used = 0;
    var touch = function () {
      if (Date.now() - used < 30000) { return; }
      used = Date.now();
      if (user) { local.setItem(SEEN, String(used)); } else if (clear === "*") { local.removeItem(SEEN); }
    };
    touch();
    ["input", "click", "keydown", "touchstart"].forEach(function (name) { document.addEventListener(name, touch, true); });
    // A page left open: once past the limit, its forms and everything stored go, as at sign-out.
    setInterval(function () {
      if (!unused()) { return; }
      local.removeItem(SEEN);
      if (store) { eachDraftKey(function (key) { store.removeItem(key); }); }
      Array.prototype.forEach.call(document.querySelectorAll("form[data-draft]"), function (f) { f.reset(); });
      document.dispatchEvent(new Event("bluebox:forget"));
    }, 60000);
  }
  var forms = document.querySelectorAll("form[data-draft]");
  Array.prototype.forEach.call(forms, function (form) {
    if (!store || !user) { return; }
    var key = prefix + form.getAttribute("data-draft");
    var fresh = form.getAttribute("data-fresh") === "1";
    var saved = store.getItem(key);
    if (saved && fresh) {
      try {
        var values = JSON.parse(saved);
        Array.prototype.forEach.call(form.elements, function (el) {
          if (!el.name || el.name === "csrf_token" || !(el.name in values)) { return; }
          if (el.type === "checkbox" || el.type === "radio") {
            el.checked = values[el.name].indexOf(el.value) !== -1;
          } else {
            el.value = values[el.name][0];
          }
        });
        var note = form.querySelector("[data-draft-note]");
        if (note) { note.hidden = false; }
        // A section holding restored entries is shown open.
        Array.prototype.forEach.call(form.querySelectorAll("details"), function (section) {
          var filled = Array.prototype.some.call(section.querySelectorAll("input, select, textarea"), function (el) {
            return (el.type === "checkbox" || el.type === "radio") ? el.checked : el.value !== "";
          });
          if (filled) { section.open = true; }
        });
      } catch (e) { store.removeItem(key); }
    }
    var save = function () {
      var values = {};
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!el.name || el.name === "csrf_token") { return; }
        if ((el.type === "checkbox" || el.type === "radio") && !el.checked) { return; }
        (values[el.name] = values[el.name] || []).push(el.value);
      });
      store.setItem(key, JSON.stringify(values));
    };
    form.addEventListener("input", save);
    form.addEventListener("change", save);
    form.addEventListener("submit", function () {
      save();
      var button = form.querySelector("button[type=submit]");
      if (button) { setTimeout(function () { button.disabled = true; }, 0); }
    });
    var discard = form.querySelector("[data-draft-discard]");
    if (discard) {
      discard.addEventListener("click", function () {
        store.removeItem(key);
        window.location.replace(window.location.href);
      });
    }
  });
  // Return visits: a section the nurse opens, still empty, starts from what was given last time
  // (the server lists it in #visit-suggestions, data-suggestions). A section left closed records nothing.
  var suggested = document.getElementById("visit-suggestions");
  if (suggested) {
    var suggestions = {};
    try { suggestions = JSON.parse(suggested.getAttribute("data-suggestions")); } catch (e) { suggestions = {}; }
    Array.prototype.forEach.call(document.querySelectorAll("details.section"), function (section) {
      section.addEventListener("toggle", function () {
        if (!section.open) { return; }
        var fields = section.querySelectorAll("input, select, textarea");
        var empty = Array.prototype.every.call(fields, function (el) {
          return (el.type === "checkbox" || el.type === "radio") ? !el.checked : el.value === "";
        });
        if (!empty) { return; }
        Array.prototype.forEach.call(fields, function (el) {
          if (el.name in suggestions && el.type !== "checkbox" && el.type !== "radio") {
            el.value = suggestions[el.name];
            el.dispatchEvent(new Event("change", { bubbles: true }));
          }
        });
      });
    });
  }
  // Report periods: offer only the kinds of period the chosen report is made for (the server checks too).
  Array.prototype.forEach.call(document.querySelectorAll("select[data-format-kinds]"), function (select) {
    var kinds = {};
    try { kinds = JSON.parse(select.getAttribute("data-format-kinds")); } catch (e) { return; }
    var format = select.form && select.form.elements[select.getAttribute("data-format-field")];
    if (!format) { return; }
    var narrow = function () {
      var allowed = kinds[format.value] || [];
      Array.prototype.forEach.call(select.querySelectorAll("optgroup"), function (group) {
        var off = allowed.indexOf(group.getAttribute("data-kind")) === -1;
        group.disabled = off;
        group.hidden = off;
      });
      var chosen = select.options[select.selectedIndex];
      if (!chosen || chosen.parentNode.disabled) {
        var first = select.querySelector("optgroup:not([disabled]) option");
        if (first) {
          // The last complete period (the first one listed may still be in progress).
          var next = first.nextElementSibling;
          select.value = (next || first).value;
        }
      }
    };
    format.addEventListener("change", narrow);
    narrow();
  });
  // Print buttons (no inline script under the Content-Security-Policy).
  Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (el) {
    el.addEventListener("click", function () { window.print(); });
  });
})();
