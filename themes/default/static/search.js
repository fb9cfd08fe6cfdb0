/* The /search/ page: Pagefind's JavaScript API behind a plain HTML form. */
(function () {
  "use strict";
  var form = document.getElementById("search-form");
  if (!form) return;
  var input = document.getElementById("search-q");
  var sort = document.getElementById("search-sort");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var boxes = Array.prototype.slice.call(form.querySelectorAll("input[name=tag]"));
  var tagNames = {};
  boxes.forEach(function (box) { tagNames[box.value] = box.nextElementSibling.textContent; });
  var pagefind = null;
  var LIMIT = 50;

  function state() {
    return {
      q: input.value.trim(),
      sort: sort.value,
      tags: boxes.filter(function (b) { return b.checked; }).map(function (b) { return b.value; })
    };
  }

  function restore() {
    var params = new URLSearchParams(location.search);
    input.value = params.get("q") || "";
    var wanted = params.get("sort") || "";
    if (Array.prototype.some.call(sort.options, function (o) { return o.value === wanted; })) sort.value = wanted;
    var tags = params.getAll("tag");
    boxes.forEach(function (b) { b.checked = tags.indexOf(b.value) !== -1; });
  }

  function remember(s) {
    var params = new URLSearchParams();
    if (s.q) params.set("q", s.q);
    if (s.sort) params.set("sort", s.sort);
    s.tags.forEach(function (t) { params.append("tag", t); });
    var query = params.toString();
    history.replaceState(null, "", location.pathname + (query ? "?" + query : ""));
  }

  /* Pagefind excerpts are HTML with <mark>; keep only text and <mark>, whatever they contain. */
  function excerpt(html) {
    var out = document.createElement("p");
    out.className = "excerpt";
    var doc = new DOMParser().parseFromString("<body>" + html, "text/html");
    (function copy(from, to) {
      from.childNodes.forEach(function (node) {
        if (node.nodeType === 3) {
          to.appendChild(document.createTextNode(node.nodeValue));
        } else if (node.nodeType === 1) {
          if (node.nodeName === "MARK") {
            var mark = document.createElement("mark");
            copy(node, mark);
            to.appendChild(mark);
          } else {
            copy(node, to);
          }
        }
      });
    })(doc.body, out);
    return out;
  }

  /* Like the cards: the first three authors, then "+ N more" (the paper page lists them all). */
  function shortAuthors(text) {
    var names = text.split(", ");
    return names.length <= 4 ? text : names.slice(0, 3).join(", ") + " + " + (names.length - 3) + " more";
  }

  /* The Pagefind filter that finds the paper a query names by its arXiv id or DOI, in the
     forms people paste ("2412.10411", "arXiv:2412.10411v2", "https://arxiv.org/abs/2412.10411",
     "hep-th/9901001", "https://doi.org/10.1000/xyz"); or null when the query is not an id. */
  function idFilter(q) {
    var text = q.replace(/^[<"'(\[]+|[>"'.,;)\]]+$/g, "");
    var doi = /^(?:https?:\/\/(?:dx\.)?doi\.org\/|doi:\s*)?(10\.\d{4,9}\/\S+)$/i.exec(text);
    if (doi) {
      var value = doi[1];
      try { value = decodeURIComponent(value); } catch (e) { /* not percent-encoded: as typed */ }
      value = value.toLowerCase();
      /* arXiv's own DOIs (10.48550/arXiv.<id>) also find a paper given by its arXiv id */
      var minted = /^10\.48550\/arxiv\.(.+)$/.exec(value);
      return minted ? { any: [{ doi: value }, { arxiv: minted[1] }] } : { doi: value };
    }
    var arxiv = /^(?:https?:\/\/(?:www\.|export\.)?arxiv\.org\/(?:abs|pdf|html)\/|arxiv:\s*)?(\d{4}\.\d{4,5}|[a-z][a-z-]*(?:\.[a-z]{2})?\/\d{7})(?:v\d+)?(?:\.pdf)?\/?$/i.exec(text);
    return arxiv ? { arxiv: arxiv[1].toLowerCase() } : null;
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function render(results) {
    list.textContent = "";
    results.forEach(function (data) {
      var item = el("li", "result");
      var heading = el("h2");
      var link = el("a", "", (data.meta && data.meta.title) || data.url);
      link.href = data.url;
      heading.appendChild(link);
      item.appendChild(heading);
      var bits = [];
      if (data.meta.authors) bits.push(shortAuthors(data.meta.authors));
      if (data.meta.date) bits.push("featured " + data.meta.date);
      if (data.meta.upvotes) bits.push(data.meta.upvotes + (data.meta.upvotes === "1" ? " upvote" : " upvotes"));
      if (bits.length) item.appendChild(el("p", "meta", bits.join(" · ")));
      if (data.meta.tldr) item.appendChild(el("p", "tldr", data.meta.tldr));
      /* Prefer the Abstract or Curator's note section that matched: the page excerpt often
         just repeats the title. */
      var sections = (data.sub_results || []).filter(function (sub) {
        return sub.url.indexOf("#") !== -1 && sub.locations && sub.locations.length;
      }).sort(function (a, b) { return b.locations.length - a.locations.length; });
      var best = sections[0];
      if (best && best.excerpt) {
        var text = best.excerpt;
        if (text.indexOf(best.title) === 0) text = text.slice(best.title.length).replace(/^[.:]?\s*/, "");
        var p = excerpt(text);
        p.insertBefore(el("span", "excerpt-label", best.title + ": "), p.firstChild);
        item.appendChild(p);
      } else if (data.excerpt && !data.meta.tldr) {
        item.appendChild(excerpt(data.excerpt));
      }
      var tags = (data.filters && data.filters.tag) || [];
      if (tags.length) {
        var ul = el("ul", "tags");
        tags.forEach(function (slug) {
          var li = el("li");
          var a = el("a", "", tagNames[slug] || slug);
          a.href = form.dataset.base + "tags/" + encodeURIComponent(slug) + "/";
          li.appendChild(a);
          ul.appendChild(li);
        });
        item.appendChild(ul);
      }
      list.appendChild(item);
    });
  }

  function counts(filters) {
    var tagCounts = (filters && filters.tag) || {};
    form.querySelectorAll("[data-count-for]").forEach(function (span) {
      var n = tagCounts[span.getAttribute("data-count-for")] || 0;
      span.textContent = String(n);
      if (n) span.removeAttribute("data-zero"); else span.setAttribute("data-zero", "");
    });
  }

  var serial = 0;
  function run() {
    var s = state();
    remember(s);
    var mine = ++serial;
    if (!s.q && !s.tags.length) {
      list.textContent = "";
      status.textContent = "Type a word or pick a tag.";
      pagefind.filters().then(function (f) { if (mine === serial) counts({ tag: f.tag }); });
      return;
    }
    var options = {};
    if (s.tags.length) options.filters = { tag: s.tags };
    if (s.sort) {
      options.sort = {};
      options.sort[s.sort] = "desc";
    }
    /* A query that is an arXiv id or DOI finds the paper with that id through its exact filter
       value: a word search for digits only finds unrelated papers by fuzzy matching. */
    var id = s.q ? idFilter(s.q) : null;
    if (id) options.filters = Object.assign(options.filters || {}, id);
    pagefind.search(id ? null : s.q || null, options).then(function (search) {
      if (mine !== serial || !search) return null;
      counts(search.filters);
      var total = search.results.length;
      return Promise.all(search.results.slice(0, LIMIT).map(function (r) { return r.data(); })).then(function (items) {
        if (mine !== serial) return;
        render(items);
        list.setAttribute("data-shown", location.search);
        var what = s.q ? "for “" + s.q + "”" : "";
        if (s.tags.length) what += (what ? " " : "") + "tagged " + s.tags.map(function (t) { return tagNames[t] || t; }).join(" and ");
        status.textContent = total === 0 ? "No papers found " + what + "."
          : total + (total === 1 ? " paper " : " papers ") + what + (total > LIMIT ? " (showing the first " + LIMIT + ")" : "") + ".";
      });
    }).catch(function () {
      status.textContent = "Search failed; reload the page to try again.";
    });
  }

  var timer = null;
  function later() {
    clearTimeout(timer);
    timer = setTimeout(run, 180);
  }

  restore();
  status.textContent = "Loading the search index…";
  import(form.dataset.bundle).then(function (module) {
    pagefind = module;
    return pagefind.options({ baseUrl: form.dataset.base, excerptLength: 28 });
  }).then(function () {
    return pagefind.filters();
  }).then(function () {
    form.addEventListener("submit", function (event) { event.preventDefault(); run(); });
    input.addEventListener("input", later);
    sort.addEventListener("change", run);
    boxes.forEach(function (b) { b.addEventListener("change", run); });
    window.addEventListener("popstate", function () { restore(); run(); });
    form.dataset.ready = "true";
    run();
  }).catch(function () {
    status.textContent = "The search index could not be loaded. Browse the archive or the tags instead.";
  });
})();
