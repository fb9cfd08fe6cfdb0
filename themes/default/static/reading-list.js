/* The reading list page: the papers starred in this browser as cards, to mark read or remove;
   exports (the papers' own .bib and .ris files, joined); a link that opens the list in another
   browser, imported there only when the reader says so. Paper text is only ever set as
   textContent, never parsed as HTML. The list itself is kept by site.js (window.readingList). */
(function () {
  "use strict";
  var root = document.getElementById("rl");
  var list = window.readingList;
  if (!root) return;
  if (!list) {  /* the browser refuses to keep data for this site */
    var refused = document.createElement("p");
    refused.className = "notice";
    refused.textContent = "This browser does not let the site keep data (storage is blocked or full), so it cannot keep a reading list.";
    root.parentNode.insertBefore(refused, root);
    return;
  }
  var base = root.getAttribute("data-base");  /* the site's path, such as "/" or "/digest/" */
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  var byId = {}, tagNames = {}, indexLoaded = false, undo = null, busy = false;

  function $(id) { return document.getElementById(id); }
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function paperUrl(id) { return base + "papers/" + id + "/"; }
  function fileUrl(id, ext) { return paperUrl(id) + id + "." + ext; }
  function titleOf(id) { return byId[id] ? byId[id].title : "Paper " + id; }
  function plural(n, one, many) { return n + " " + (n === 1 ? one : many); }
  function humanDate(iso) {
    var part = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || "");
    return part ? Number(part[3]) + " " + MONTHS[Number(part[2]) - 1] + " " + part[1] : "";
  }
  function say(text, canUndo) {
    $("rl-status").textContent = text;
    $("rl-undo").hidden = !canUndo;
    if (!canUndo) undo = null;
  }

  /* ---- cards ---- */
  /* A card's button: its name starts with what it shows, then says which paper. */
  function button(action, id, label, name) {
    var b = el("button", "button-quiet", label);
    b.type = "button";
    b.setAttribute("data-action", action);
    b.setAttribute("data-id", id);
    b.setAttribute("aria-label", name);
    return b;
  }

  function linkList(className, label, items) {
    var ul = el("ul", className);
    ul.setAttribute("aria-label", label);
    items.forEach(function (item) {
      var a = el("a", item[2], item[0]);
      a.href = item[1];
      if (item[3]) a.setAttribute("data-kind", item[3]);
      if (item[3]) a.rel = "noopener";
      var li = el("li");
      li.appendChild(a);
      ul.appendChild(li);
    });
    return ul;
  }

  function card(entry) {
    var paper = byId[entry.id];
    var article = el("article", "card rl-card" + (entry.read ? " rl-card-read" : ""));
    var body = article.appendChild(el("div", "card-body"));
    var title = body.appendChild(el("div", "card-head")).appendChild(el("h3", "card-title"));
    var meta = body.appendChild(el("div", "card-meta"));
    if (paper || !indexLoaded) {
      title.appendChild(el("a", null, titleOf(entry.id))).href = paperUrl(entry.id);
    } else {
      title.textContent = titleOf(entry.id);
    }
    if (paper) {
      if (paper.authors) {
        meta.appendChild(el("span", "authors", paper.authors.join(", ") + (paper.more ? " + " + paper.more + " more" : "")));
      }
      var added = meta.appendChild(el("span", null, "Added "));
      added.appendChild(el("time", null, humanDate(paper.date))).dateTime = paper.date;
    } else {
      meta.appendChild(el("span", null, indexLoaded ? "No longer on this site" : "Details unavailable offline"));
    }
    var foot = body.appendChild(el("div", "card-foot"));
    var links = [];
    if (paper && paper.arxiv) {
      links.push(["arXiv", "https://arxiv.org/abs/" + paper.arxiv, "btn-link", "arxiv"]);
      links.push(["PDF", "https://arxiv.org/pdf/" + paper.arxiv, "btn-link", "pdf"]);
    }
    if (paper && paper.doi) links.push(["DOI", "https://doi.org/" + encodeURI(paper.doi), "btn-link", "doi"]);
    if (links.length) foot.appendChild(linkList("links", "Links", links));
    if (paper && paper.tags) {
      foot.appendChild(linkList("tags", "Tags", paper.tags.map(function (slug) {
        return [tagNames[slug] || slug, base + "tags/" + slug + "/", ""];
      })));
    }
    var actions = foot.appendChild(el("p", "rl-card-actions"));
    actions.appendChild(button("read", entry.id, entry.read ? "Mark as unread" : "Mark as read",
      (entry.read ? "Mark as unread: " : "Mark as read: ") + titleOf(entry.id)));
    actions.appendChild(document.createTextNode(" "));
    actions.appendChild(button("remove", entry.id, "Remove", "Remove from the reading list: " + titleOf(entry.id)));
    return article;
  }

  function render() {
    var papers = list.load();
    var parts = { unread: papers.filter(function (p) { return !p.read; }), read: papers.filter(function (p) { return p.read; }) };
    Object.keys(parts).forEach(function (part) {
      var holder = $("rl-" + part);
      holder.textContent = "";
      parts[part].forEach(function (entry) { holder.appendChild(card(entry)); });
      $("rl-" + part + "-count").textContent = String(parts[part].length);
      $("rl-" + part + "-section").hidden = !parts[part].length;
    });
    $("rl-empty").hidden = papers.length > 0;
    $("rl-tools").hidden = !papers.length;
    $("rl-share-url").value = shareUrl(papers);
    return papers;
  }

  /* Focus stays on what was pressed (a card moved to the other section), or goes to the card
     that took the place of a removed one. */
  function focusOn(action, id, index) {
    var target = id && root.querySelector('button[data-action="' + action + '"][data-id="' + id + '"]');
    if (!target && index !== undefined) {
      var all = root.querySelectorAll('button[data-action="remove"]');
      target = all[Math.min(index, all.length - 1)];
    }
    (target || $("rl-heading")).focus();
  }

  function store(papers) {
    if (list.save(papers)) return true;
    say("Your browser refused to save the change: its storage for this site is full or blocked.");
    return false;
  }

  root.addEventListener("click", function (event) {
    var pressed = event.target.closest("button[data-action]");
    if (!pressed) return;
    var id = pressed.getAttribute("data-id"), papers = list.load();
    var index = papers.map(function (p) { return p.id; }).indexOf(id);
    if (index < 0) return;
    if (pressed.getAttribute("data-action") === "read") {
      var read = !papers[index].read;
      papers[index] = { id: id, read: read };
      if (!store(papers)) return;
      render();
      say("Marked “" + titleOf(id) + "” as " + (read ? "read." : "unread."));
      focusOn("read", id);
    } else {
      var removed = papers.splice(index, 1)[0];
      var position = Array.prototype.indexOf.call(root.querySelectorAll('button[data-action="remove"]'), pressed);
      if (!store(papers)) return;
      render();
      say("Removed “" + titleOf(id) + "”.", true);
      undo = { entry: removed, index: index };
      focusOn("remove", null, position);
    }
  });

  $("rl-undo").addEventListener("click", function () {
    if (!undo) return;
    var papers = list.load(), entry = undo.entry;
    if (!papers.some(function (p) { return p.id === entry.id; })) papers.splice(undo.index, 0, entry);
    if (!store(papers)) return;
    render();
    say("Put “" + titleOf(entry.id) + "” back.");
    focusOn("remove", entry.id);
  });

  /* ---- export: the papers' own citation files, joined ---- */
  function suffix(n) {  /* as bibtex.unique_keys: 1 -> b, 2 -> c, ..., 26 -> ba */
    var letters = "";
    do { letters = "abcdefghijklmnopqrstuvwxyz".charAt(n % 26) + letters; n = Math.floor(n / 26); } while (n);
    return letters;
  }

  /* The entries of several .bib files in one, each under a key no other entry has. */
  function joinBibtex(texts) {
    var entry = /^(@\w+\s*\{\s*)([^,\s]+)/gm;
    var natural = [], taken = {}, seen = {};
    texts.forEach(function (text) { text.replace(entry, function (all, head, key) { natural.push(key); taken[key] = true; return all; }); });
    var n = 0;
    return texts.map(function (text) {
      return text.replace(entry, function (all, head, key) {
        var own = natural[n++];
        if (seen[own]) {
          var k = 1;
          while (taken[own + suffix(k)]) k++;
          own += suffix(k);
          taken[own] = true;
        }
        seen[own] = true;
        return head + own;
      }).replace(/\s*$/, "\n");
    }).join("\n");
  }

  var FORMATS = {
    bib: { name: "BibTeX", type: "application/x-bibtex", join: joinBibtex },
    ris: { name: "RIS", type: "application/x-research-info-systems",
           join: function (texts) { return texts.map(function (t) { return t.replace(/\s*$/, "\n"); }).join("\n"); } }
  };

  function fetchText(url) {
    return fetch(url).then(function (r) { return r.ok ? r.text() : null; }, function () { return null; });
  }

  function exportAs(ext) {
    var format = FORMATS[ext], papers = list.load();
    if (busy || !papers.length) return;
    busy = true;
    say("Gathering " + plural(papers.length, "entry", "entries") + "…");
    Promise.all(papers.map(function (p) { return fetchText(fileUrl(p.id, ext)); })).then(function (texts) {
      var found = texts.filter(function (t) { return t !== null; });
      var missing = papers.filter(function (p, i) { return texts[i] === null; }).map(function (p) { return "“" + titleOf(p.id) + "”"; });
      var left = missing.length ? " Left out, as it could not be fetched (offline, or no longer on this site): " + missing.join(", ") + "." : "";
      if (!found.length) {
        say("Nothing to export: no " + format.name + " entry could be fetched." + left);
        return;
      }
      var url = URL.createObjectURL(new Blob([format.join(found)], { type: format.type + ";charset=utf-8" }));
      var a = el("a");
      a.href = url;
      a.download = "reading-list." + ext;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
      say("Exported " + plural(found.length, "paper", "papers") + " as " + format.name + " (reading-list." + ext + ")." + left);
    }).then(function () { busy = false; }, function () { busy = false; });
  }

  root.querySelectorAll("button[data-export]").forEach(function (b) {
    b.addEventListener("click", function () { exportAs(b.getAttribute("data-export")); });
  });

  /* ---- sharing ---- */
  function shareUrl(papers) {
    return new URL(base + "reading-list/", location.href).href + "#ids=" + papers.map(function (p) { return p.id; }).join(",");
  }

  $("rl-copy").addEventListener("click", function () {
    var field = $("rl-share-url");
    function byHand() { field.focus(); field.select(); say("The link is selected: copy it with your keyboard or menu."); }
    if (!navigator.clipboard) { byHand(); return; }
    navigator.clipboard.writeText(field.value).then(function () { say("Link copied: open it in another browser to see the same list."); }, byHand);
  });

  function sharedIds() {
    var found = /^#ids=([^&]*)/.exec(location.hash), seen = {};
    if (!found) return null;
    return found[1].split(",").filter(function (id) {
      var ok = list.ids.test(id) && !seen[id];
      seen[id] = true;
      return ok;
    });
  }

  function forgetLink() { history.replaceState(null, "", location.pathname + location.search); }

  function offerImport() {
    var ids = sharedIds(), panel = $("rl-import");
    if (!ids) { panel.hidden = true; return; }
    var mine = {};
    list.load().forEach(function (p) { mine[p.id] = true; });
    var known = indexLoaded ? ids.filter(function (id) { return byId[id]; }) : ids;
    var fresh = known.filter(function (id) { return !mine[id]; });
    var strangers = ids.length - known.length;
    var summary = "This link holds " + plural(known.length, "paper", "papers") + (fresh.length === known.length
      ? (fresh.length === 1 ? " that is" : " that are") : "; " + plural(fresh.length, "of them is", "of them are")) + " not on your list yet.";
    if (!fresh.length) summary = known.length ? "The papers of this link are on your list already." : "This link holds no paper of this site.";
    if (strangers && known.length) summary += " " + plural(strangers, "paper of the link is", "papers of the link are") + " not on this site and left out.";
    $("rl-import-summary").textContent = summary;
    var items = $("rl-import-list");
    items.textContent = "";
    fresh.forEach(function (id) {
      var li = items.appendChild(el("li"));
      li.appendChild(el("a", null, titleOf(id))).href = paperUrl(id);
    });
    var add = $("rl-import-add");
    add.hidden = !fresh.length;
    add.textContent = fresh.length === 1 ? "Add this paper to my list" : "Add these " + fresh.length + " papers to my list";
    add.onclick = function () {
      var papers = list.load();
      var have = {};
      papers.forEach(function (p) { have[p.id] = true; });
      var added = fresh.filter(function (id) { return !have[id]; }).map(function (id) { return { id: id, read: false }; });
      if (!store(added.concat(papers))) return;
      forgetLink();
      panel.hidden = true;
      render();
      say("Added " + plural(added.length, "paper", "papers") + " to your reading list.");
      $("rl-heading").focus();
    };
    $("rl-import-dismiss").textContent = fresh.length ? "Not now" : "Close";
    panel.hidden = false;
    panel.focus();
  }

  $("rl-import-dismiss").addEventListener("click", function () {
    forgetLink();
    $("rl-import").hidden = true;
    $("rl-heading").focus();
  });

  /* ---- offline: a service worker scoped to this page serves what it last fetched when the
     network fails; the first visit (before the worker controls the page) stores the page and
     its files, and every visit the citation files of the listed papers, for exports offline. */
  function keepOffline() {
    if (!("serviceWorker" in navigator) || !window.caches || !window.isSecureContext) return;
    var worker = new URL(root.getAttribute("data-worker"), location.href);
    var first = !navigator.serviceWorker.controller;
    navigator.serviceWorker.register(worker.href).catch(function () { /* no offline copy */ });
    var urls = [];
    list.load().forEach(function (p) { urls.push(fileUrl(p.id, "bib"), fileUrl(p.id, "ris")); });
    if (first) {
      urls.push(location.href.split("#")[0], new URL(root.getAttribute("data-index"), location.href).href);
      document.querySelectorAll("link[rel~=stylesheet], link[rel~=icon], script[src]").forEach(function (n) {
        urls.push(n.href || n.src);
      });
    }
    caches.open("digestgen-reading-list:" + new URL(".", worker).href).then(function (cache) {
      urls.map(function (u) { return new URL(u, location.href).href; }).filter(function (u) {
        return u.indexOf(location.origin + "/") === 0;
      }).forEach(function (u) {
        cache.match(u).then(function (hit) { return hit || cache.add(u); }).catch(function () { /* fetched next time */ });
      });
    }).catch(function () { /* storage refused */ });
  }

  window.addEventListener("storage", function (event) { if (event.key === list.key) render(); });
  window.addEventListener("hashchange", offerImport);
  root.hidden = false;
  /* An empty list needs nothing from the index: say so at once rather than after the fetch. */
  if (!list.load().length) render();
  fetch(root.getAttribute("data-index")).then(function (r) {
    if (!r.ok) throw new Error(r.status);
    return r.json();
  }).then(function (index) {
    tagNames = index.tags || {};
    (index.papers || []).forEach(function (p) { byId[p.id] = p; });
    indexLoaded = true;
  }, function () {
    say("The papers’ details could not be loaded (offline?): the list shows what this browser knows.");
  }).then(function () {
    render();
    offerImport();
    root.setAttribute("data-ready", "");
    keepOffline();
  });
})();
