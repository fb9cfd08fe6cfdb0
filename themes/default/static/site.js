/* Small progressive enhancements; every page works without this file. */
(function () {
  "use strict";
  var root = document.documentElement;
  var media = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;

  function current() {
    return root.dataset.theme || (media && media.matches ? "dark" : "light");
  }

  function sync(button) {
    var dark = current() === "dark";
    button.setAttribute("aria-pressed", dark ? "true" : "false");
    button.title = dark ? "Switch to light theme" : "Switch to dark theme";
  }

  document.querySelectorAll("[data-theme-toggle]").forEach(function (button) {
    button.hidden = false;
    sync(button);
    button.addEventListener("click", function () {
      var next = current() === "dark" ? "light" : "dark";
      root.dataset.theme = next;
      try { localStorage.setItem("theme", next); } catch (e) { /* private mode: not remembered */ }
      sync(button);
    });
    if (media && media.addEventListener) media.addEventListener("change", function () { sync(button); });
  });

  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var target = document.getElementById(button.getAttribute("data-copy"));
    if (!target || !navigator.clipboard) return;
    var status = button.closest("section") && button.closest("section").querySelector("[role=status]");
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(target.textContent).then(function () {
        button.textContent = "Copied";
        if (status) status.textContent = "BibTeX entry copied to the clipboard.";
        setTimeout(function () { button.textContent = label; }, 2000);
      }, function () {
        if (status) status.textContent = "Copying failed; select the entry and copy it by hand.";
      });
    });
  });

  /* Wide formulas and code blocks scroll sideways; let keyboard users reach them. */
  function focusableScrollers() {
    document.querySelectorAll(".math, pre").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1) {
        if (!box.hasAttribute("tabindex")) box.setAttribute("tabindex", "0");
      } else if (box.getAttribute("tabindex") === "0" && !box.id) {
        box.removeAttribute("tabindex");
      }
    });
  }
  focusableScrollers();
  window.addEventListener("resize", focusableScrollers);
  document.addEventListener("toggle", focusableScrollers, true);

  /* On a phone the navigation is one row that scrolls sideways: bring the current section's
     link into view when it lies beyond the right edge (the page itself does not scroll). */
  function clearOfEdges(row, link) {  /* left of the fade at the right, clear of the left edge */
    var box = link.getBoundingClientRect(), edges = row.getBoundingClientRect();
    if (box.left < edges.left + 8) row.scrollLeft -= edges.left + 8 - box.left;
    else if (box.right > edges.right - 44) row.scrollLeft += box.right - edges.right + 44;
  }
  var navRow = document.querySelector(".site-nav ul");
  var here = navRow && navRow.querySelector("[aria-current=page], .in-section");
  if (here && navRow.scrollWidth > navRow.clientWidth) clearOfEdges(navRow, here);
  if (navRow) navRow.addEventListener("focusin", function (e) {
    if (navRow.scrollWidth > navRow.clientWidth) clearOfEdges(navRow, e.target);
  });

  /* The date navigator's jump list folds away on Escape (focus back on its button) and on a
     click outside it, as a menu would; without JavaScript it stays a plain disclosure. */
  var jump = document.querySelector(".datenav-jump");
  if (jump) {
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && jump.open) {
        jump.open = false;
        jump.querySelector("summary").focus();
      }
    });
    document.addEventListener("click", function (e) {
      if (jump.open && !jump.contains(e.target)) jump.open = false;
    });
  }

  /* The reading list: papers starred in this browser, kept in localStorage under the site's
     address (two digests on one host keep two lists). Stars and the "Reading list" link are
     shown only when the list can be kept; reading-list.js uses this through window.readingList. */
  var listKey = "digestgen:reading-list:" + new URL("..", document.currentScript.src).pathname;
  var listIds = /^[a-z0-9][a-z0-9._-]{0,199}$/;
  var readingList = {
    ids: listIds,
    load: function () {
      var seen = {}, data;
      try { data = JSON.parse(localStorage.getItem(listKey) || "{}"); } catch (e) { data = {}; }
      return (Array.isArray(data.papers) ? data.papers : []).filter(function (entry) {
        var ok = entry && typeof entry.id === "string" && listIds.test(entry.id) && !seen[entry.id];
        if (ok) seen[entry.id] = true;
        return ok;
      }).map(function (entry) { return { id: entry.id, read: entry.read === true }; });
    },
    save: function (papers) {  /* false when the browser refuses (storage full) */
      try {
        localStorage.setItem(listKey, JSON.stringify({ version: 1, papers: papers.map(function (p) {
          return p.read ? { id: p.id, read: true } : { id: p.id };
        }) }));
      } catch (e) { return false; }
      syncStars();
      return true;
    },
    key: listKey
  };
  function syncStars() {
    var papers = readingList.load();
    document.querySelectorAll("button[data-star]").forEach(function (star) {
      var on = papers.some(function (p) { return p.id === star.getAttribute("data-star"); });
      star.setAttribute("aria-pressed", on ? "true" : "false");
      star.title = on ? "On your reading list (press to remove)" : "Save to your reading list";
    });
    document.querySelectorAll("[data-reading-list-count]").forEach(function (count) {
      count.textContent = papers.length ? String(papers.length) : "";
    });
  }
  try {
    localStorage.setItem(listKey + ":probe", "1");
    localStorage.removeItem(listKey + ":probe");
    window.readingList = readingList;
  } catch (e) { root.classList.remove("keeps-list"); /* storage blocked: no stars, no list, no room kept for them */ }
  /* The pages carry no stars (at thousands of papers their markup weighed megabytes): each
     paper title, the element with id "t-<paper id>", gets one here, at the end of its card's or
     row's meta line or beside a paper page's heading, named "Save to reading list: <title>"
     from one hidden label and the title itself. A card, row or heading that holds a star
     already (a site's own template) keeps it. */
  function makeStars() {
    document.querySelectorAll('[id^="t-"]').forEach(function (title) {
      var id = title.id.slice(2), item = title.closest(".paper-title, .card, .row");
      var host = item && (item.classList.contains("paper-title") ? item : item.querySelector(".card-meta, .meta"));
      if (!listIds.test(id) || !host || item.querySelector("button[data-star]")) return;
      var star = document.createElement("button");
      star.className = "star";
      star.type = "button";
      star.setAttribute("data-star", id);
      star.setAttribute("aria-pressed", "false");
      star.setAttribute("aria-labelledby", "save " + title.id);
      host.appendChild(star);
    });
    if (document.getElementById("save") || !document.querySelector("button[data-star]")) return;
    var label = document.createElement("span");
    label.id = "save";
    label.hidden = true;
    label.textContent = "Save to reading list:";
    (document.querySelector("main") || document.body).appendChild(label);
  }
  if (window.readingList) {
    makeStars();
    document.querySelectorAll("button[data-star], [data-reading-list-link]").forEach(function (el) { el.hidden = false; });
    document.querySelectorAll("button[data-star]").forEach(function (star) {
      star.addEventListener("click", function () {
        var id = star.getAttribute("data-star"), papers = readingList.load();
        var kept = papers.filter(function (p) { return p.id !== id; });
        readingList.save(kept.length < papers.length ? kept : [{ id: id, read: false }].concat(papers));
      });
    });
    syncStars();
    window.addEventListener("storage", function (e) { if (e.key === listKey) syncStars(); });
  }

  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details:not([open])").forEach(function (d) {
      d.setAttribute("open", "");
      d.setAttribute("data-print-opened", "");
    });
  });
  window.addEventListener("afterprint", function () {
    document.querySelectorAll("details[data-print-opened]").forEach(function (d) {
      d.removeAttribute("open");
      d.removeAttribute("data-print-opened");
    });
  });
})();
