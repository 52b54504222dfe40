/* Blue Box service worker for peer educators: the contact, slip and crisis case forms, and the files they
   need, open without signal (network first, the copy kept here when there is none). It is registered for
   the whole site but answers only for the pages and files listed here; every other request goes to the
   network untouched. Nothing else is kept; sign-out deletes this cache. */
"use strict";
var CACHE = "bluebox-outreach-{{ version }}";
var PAGES = {{ pages|tojson }};
var ASSETS = {{ assets|tojson }};

var keep = function (cache, url) {
  return fetch(url, { credentials: "same-origin", redirect: "manual" }).then(function (response) {
    if (response.ok && response.type === "basic") { return cache.put(url, response); }
  });
};

var fill = function () {
  return caches.open(CACHE).then(function (cache) {
    return Promise.all(PAGES.concat(ASSETS).map(function (url) { return keep(cache, url).catch(function () {}); }));
  });
};

self.addEventListener("install", function (event) {
  event.waitUntil(fill().then(function () { return self.skipWaiting(); }));
});

// Signed in again after a sign-out deleted this cache (the browser brings back the same worker, already
// installed): the page asks for the forms to be kept again and for itself to be served by this worker.
self.addEventListener("message", function (event) {
  if (event.data === "refill") { event.waitUntil(fill().then(function () { return self.clients.claim(); })); }
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n.indexOf("bluebox-outreach-") === 0 && n !== CACHE; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) { return; }
  var path = url.pathname;
  if (PAGES.indexOf(path) === -1 && ASSETS.indexOf(path) === -1) { return; }
  event.respondWith(fetch(request).then(function (response) {
    if (response.ok && !response.redirected && response.type === "basic") {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(path, copy); });
    }
    return response;
  }).catch(function () {
    return caches.match(path).then(function (hit) { return hit || Response.error(); });
  }));
});
