"""The third stage: make the outputs whose keys changed, take the others from the last build.

Every output of the plan gets its key (plan.py); one whose key equals the last build's for the
same path is linked from the published folder (Staging.reuse). The rest are made by one pool
of worker processes (workers.make_outputs) or, for a few, in this process. A page is re-keyed
by what its render read: a paper's page that did not look at the other papers of its issue is
keyed by the issue's name and dates only (shallow), so that editing one paper does not make
every page of its issue again; a page that read what no key covers is UNTRACKED.
"""

from __future__ import annotations

from typing import Any

from digestgen import workers
from digestgen.cache import BuildState
from digestgen.carry_over import same_items
from digestgen.files import File
from digestgen.hashes import hexhash
from digestgen.memory import MemoryStaging
from digestgen.output import Staging
from digestgen.plan import KEYED_TEMPLATES, UNTRACKED, Keyer, Plan, file_key, same_context
from digestgen.progress import Progress
from digestgen.reuse import Reuse
from digestgen.site import SiteModel


def write(model: SiteModel, renderer: Any, plan: Plan, staging: Staging | MemoryStaging, last: BuildState, reuse: Reuse,
          hashes: dict[str, str], render_key: str, progress: Progress,
          weights: dict[str, Any]) -> tuple[dict[str, str], set[str]]:
    """Put every output into staging. Returns the key of every keyed output, and the paper
    pages keyed shallow (both for the next build, see cache.BuildState)."""
    routes, previous, shallow = plan.routes, last.pages, last.shallow
    # what templates may read of every tag and issue without a mark (reads.model_view)
    site_key = hexhash(render_key, [(t.slug, t.name, t.description) for t in model.tags.values()],
                       [(i.key, i.title, i.status) for i in model.issues])
    keyer = Keyer(hashes, site_key, model.authors.signature)
    keys: dict[str, str] = {}
    now_shallow: set[str] = set()
    todo: list[Any] = []  # routes and files to make
    # the same paper records show the same things only while they link their authors as before
    # (see Authors.signature): the contexts of the last build are compared under both
    same_key = hexhash(site_key, model.authors.links) if model.authors.links else site_key
    before = reuse.pages[1] if reuse.pages is not None and reuse.pages[0] == same_key else {}
    for route in routes:
        if route.template in KEYED_TEMPLATES:
            was_shallow = route.path in shallow
            prior = before.get(route.path)
            if prior is not None and prior[1] == was_shallow and same_context(prior[0].context, route.context):
                key = keys[route.path] = prior[2]  # the very objects of the last build: unchanged
            else:
                key = keys[route.path] = keyer.page(route, was_shallow)
            if previous.get(route.path) == key and staging.reuse(route.path):
                if was_shallow:
                    now_shallow.add(route.path)
                continue
        todo.append(route)
    seen: dict[int, tuple[object, str]] = {}
    # a file of the very paper records of the last build (see site.carry_over), and equal
    # values, has the last build's key (kept by a long process, see reuse.py)
    known = reuse.files[1] if reuse.files is not None and reuse.files[0] == render_key else {}
    files: dict[str, tuple[Any, tuple[object, ...], str]] = {}
    for file in plan.files:
        prior_file = known.get(file.path)
        if (prior_file is not None and file.papers is not None and same_items(prior_file[0], file.papers)
                and prior_file[1] == file.more):
            file_key_: str | None = prior_file[2]
        else:
            file_key_ = file_key(render_key, file, hashes, seen)
        if file_key_ is not None:
            files[file.path] = (file.papers, file.more, file_key_)
            keys[file.path] = file_key_
            if previous.get(file.path) == file_key_ and staging.reuse(file.path):
                continue
        todo.append(file)
    looked: set[str] = set()
    untracked: set[str] = set()
    pages = sum(1 for item in todo if not isinstance(item, File))
    heavy = sum(1 for item in todo if isinstance(item, File) and item.heavy and not item.streamed)
    # a feed or a site-wide export costs about what a page per ten papers of the site does
    use_pool = workers.pool_ok(model.config, pages + heavy * len(model.papers) // 10, workers.RENDER_POOL_MIN)
    workers.make_outputs(renderer, todo, staging, use_pool, progress, weights, looked, untracked)
    for item in todo:  # key what was rendered by what it turned out to show
        if isinstance(item, File) or item.path not in keys:
            continue
        if item.path in untracked:
            keys[item.path] = UNTRACKED  # what it read is not in its key: render it next time too
        elif item.template == "paper.html" and (item.path in looked) == (item.path in shallow):
            keys[item.path] = keyer.page(item, item.path not in looked)
    now_shallow.update(r.path for r in todo if not isinstance(r, File) and r.template == "paper.html"
                       and r.path not in looked)
    if reuse.long_lived:
        reuse.files = (render_key, files)
        reuse.pages = (same_key, {r.path: (r, r.path in now_shallow, keys[r.path]) for r in routes
                                  if keys.get(r.path, UNTRACKED) != UNTRACKED})
    return keys, now_shallow
