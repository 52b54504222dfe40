/* Blue Box: small progressive enhancements. The app works without this file. */
(function () {
  "use strict";
  // Drafts: a form with data-draft="name" keeps what was typed in this tab's
  // sessionStorage, so a dropped signal or an expired session loses nothing.
  // The server asks to forget a draft once it is saved (body data-clear-draft).
  var store = window.sessionStorage;
  var clear = document.body.getAttribute("data-clear-draft");
  if (clear && store) { store.removeItem("draft:" + clear); }
  var forms = document.querySelectorAll("form[data-draft]");
  Array.prototype.forEach.call(forms, function (form) {
    var key = "draft:" + form.getAttribute("data-draft");
    var fresh = form.getAttribute("data-fresh") === "1";
    if (!store) { return; }
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
  });
  // Print buttons (no inline script under the Content-Security-Policy).
  Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (el) {
    el.addEventListener("click", function () { window.print(); });
  });
})();
