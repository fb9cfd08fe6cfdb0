"""Run the stages in order: config -> content -> model -> rendered files -> output."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from digestgen.config import BuildOptions, SiteConfig, load_config
from digestgen.content import Page, Paper, Tag, discover, fold, parse_issue, parse_page, parse_paper, parse_tags
from digestgen.errors import ContentError, Problem
from digestgen.output import WriteStats, build_lock, check_output, safe_relpath, write_site
from digestgen.site import SiteModel, build_model


@dataclass
class BuildResult:
    model: SiteModel
    warnings: list[Problem]
    stats: WriteStats = field(default_factory=WriteStats)
    seconds: float = 0.0

    def summary(self) -> str:
        m = self.model
        return (f"built {len(m.papers)} papers in {len(m.issues)} issues, {len(m.pages)} pages, {len(m.tags)} tags: "
                f"{self.stats.files} files ({self.stats.written} written) in {self.seconds:.2f} s")


def load_site(config: SiteConfig) -> tuple[SiteModel, list[Problem]]:
    """Read and validate every source; raise ContentError with all errors of the run."""
    root = config.root
    sources = discover(root)
    problems = list(sources.problems)
    papers: list[Paper] = []
    for rel in sources.papers:
        paper, found = parse_paper(root, rel, config.tz, config.base_path)
        problems.extend(found)
        if paper is not None:
            papers.append(paper)
    intros = [i for rel in sources.issues if (i := parse_issue(root, rel, config.base_path, problems))]
    pages: list[Page] = [p for rel in sources.pages if (p := parse_page(root, rel, config.base_path, problems))]
    vocabulary: dict[str, Tag] | None = parse_tags(root, sources.tags, problems) if sources.tags else None
    model = build_model(config, papers, intros, pages, vocabulary, problems)
    return model, finish(problems, config.options.strict)


def finish(problems: list[Problem], strict: bool) -> list[Problem]:
    """Raise when there are errors (warnings count as errors with --strict); return warnings."""
    if strict:
        problems = [Problem(p.path, p.line, p.column, p.field, p.message) for p in problems]
    errors = [p for p in problems if p.severity == "error"]
    warnings = sorted(p for p in problems if p.severity != "error")
    if errors:
        raise ContentError(errors + warnings)
    return warnings


def render_site(model: SiteModel) -> dict[str, bytes]:
    """Every output file as bytes, keyed by its path inside the output folder."""
    from digestgen import exports, feeds
    from digestgen.render import Renderer, builtin_theme, theme_dirs

    cfg = model.config
    renderer = Renderer(model)
    files: dict[str, bytes] = {}
    sitemap_urls: list[tuple[str, str | None]] = []
    lastmod = {f"/papers/{p.id}/": p.date.isoformat() for p in model.papers}
    lastmod.update({f"/issues/{i.key}/": max(p.date for p in i.papers).isoformat() for i in model.issues})
    for route in renderer.routes():
        files[route.path] = renderer.render(route)
        if route.path != "404.html":
            sitemap_urls.append((route.url, lastmod.get(route.url, model.updated.isoformat() if model.updated else None)))
    files.update(feeds.all_feeds(model, renderer))
    files.update(exports.all_exports(model, renderer, sitemap_urls))
    _add_static(files, cfg, [*reversed(theme_dirs(cfg.root, cfg.fields.theme))], builtin_theme())
    return files


def _add_static(files: dict[str, bytes], cfg: SiteConfig, themes: list[Path], builtin: Path) -> None:
    """Theme assets under assets/ (site theme over default), then static/ as-is; no collisions."""
    problems: list[Problem] = []
    folded = {fold(name): name for name in files}
    for theme in themes:
        for file in sorted((theme / "static").rglob("*")) if (theme / "static").is_dir() else []:
            if file.is_file() and not file.is_symlink():
                name = "assets/" + file.relative_to(theme / "static").as_posix()
                files[name] = file.read_bytes()
                folded[fold(name)] = name
    static = cfg.root / "static"
    if static.is_dir():
        for file in sorted(static.rglob("*")):
            if file.is_symlink() or not file.is_file():
                continue
            rel = file.relative_to(static).as_posix()
            if any(part.startswith(".") for part in rel.split("/")):
                continue
            try:
                name = safe_relpath(rel)
            except ValueError:
                problems.append(Problem(f"static/{rel}", 1, 1, "(file)", "has a name that cannot be published"))
                continue
            clash = folded.get(fold(name))
            if clash is not None:
                problems.append(Problem(f"static/{rel}", 1, 1, "(file)", f"would replace the generated /{clash}; rename it"))
                continue
            files[name] = file.read_bytes()
            folded[fold(name)] = name
    if problems:
        raise ContentError(problems)


def build(root: Path, options: BuildOptions | None = None, config: SiteConfig | None = None) -> BuildResult:
    """Build the site at root into its output folder; raise DigestgenError on any problem."""
    started = time.perf_counter()
    config = config or load_config(root, options)
    check_output(config.output, config.root)
    model, warnings = load_site(config)
    files = render_site(model)
    with build_lock(config.output):
        check_output(config.output, config.root)
        stats = write_site(config.output, files, _search_hook(model))
    return BuildResult(model, warnings, stats, time.perf_counter() - started)


def _search_hook(model: SiteModel):  # type: ignore[no-untyped-def]
    """Index the finished folder for search before it is swapped in (see search.py)."""
    if not model.config.fields.search:
        return None
    try:
        from digestgen import search
    except ImportError:
        return None
    return lambda folder: search.index(folder, model)


def check(root: Path, options: BuildOptions | None = None) -> tuple[SiteModel, list[Problem]]:
    """Validate without writing anything."""
    config = load_config(root, options)
    return load_site(config)
