/* The reading list's service worker, scoped to /reading-list/: the network first, always, so a
   reader online sees the site as it is; when the network fails, the last copy fetched by the
   reading list page (the page, its assets, the paper index, the papers' citation files). */
"use strict";
var CACHE = "digestgen-reading-list:" + self.registration.scope;
var SITE = new URL("../", self.registration.scope).href;  /* the site's root: nothing else is kept */

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return cache.addAll(["./", "index.json"]);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET" || request.url.indexOf(SITE) !== 0) return;
  if ((request.headers.get("Accept") || "").indexOf("text/event-stream") >= 0) return;  /* the preview's reload events */
  event.respondWith(fetch(request).then(function (response) {
    if (response.ok && response.type === "basic") {
      var copy = response.clone();
      event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.put(request, copy); }));
    }
    return response;
  }, function () {
    return caches.open(CACHE).then(function (cache) {
      return cache.match(request, { ignoreSearch: request.mode === "navigate" });
    }).then(function (found) { return found || Response.error(); });
  }));
});
