"""What the preview server watches: a watchdog observer of the site's sources that leaves
editor noise out, and a debouncer that turns a burst of changes (a git checkout) into one or
two rebuilds."""

from __future__ import annotations

import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

WATCHED = ("content", "static", "templates", "themes")
NOISE_SUFFIXES = (".swp", ".swo", ".swx", ".swpx", "~", ".tmp", ".temp", ".bak", ".orig", ".part", ".crdownload")
NOISE_PARTS = ("___jb_tmp___", "___jb_old___", ".goutputstream-")


def is_noise(name: str) -> bool:
    """Editor swap, backup and temporary files (vim, emacs, JetBrains, GNOME, downloads)."""
    return (name.startswith((".", "#")) or name.endswith(NOISE_SUFFIXES) or name == "4913"
            or any(part in name for part in NOISE_PARTS))


class Background:
    """A daemon thread running _loop, told of new work and of stop() through one condition."""

    def __init__(self, name: str):
        self.stopped = False
        self.cond = threading.Condition()
        self.thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def stop(self) -> None:
        with self.cond:
            self.stopped = True
            self.cond.notify_all()

    def _loop(self) -> None:
        raise NotImplementedError


class Debouncer(Background):
    """Collect change notices; call action once they have been quiet for `settle` seconds.

    on_quiet, if set, runs once after an action when no change has come for `quiet` seconds
    more (serve collects the rebuild's garbage then, not while the browser reloads), and every
    `idle` seconds without a change (what answering requests left).
    """

    def __init__(self, action: Callable[[list[str]], object], settle: float = 0.1, longest: float = 3.0,
                 on_quiet: Callable[[], object] | None = None, quiet: float = 1.0, idle: float = 60.0):
        super().__init__("digestgen-rebuild")
        self.action, self.settle, self.longest = action, settle, longest
        self.on_quiet, self.quiet, self.idle = on_quiet, quiet, idle
        self.pending: set[str] = set()
        self.first = self.last = 0.0

    def notify(self, rel: str) -> None:
        with self.cond:
            now = time.monotonic()
            if not self.pending:
                self.first = now
            self.pending.add(rel)
            self.last = now
            self.cond.notify_all()

    def _loop(self) -> None:
        owed = False  # an action ran since on_quiet last did
        while True:
            with self.cond:
                if self.on_quiet is not None:
                    self.cond.wait_for(lambda: self.pending or self.stopped, self.quiet if owed else self.idle)
                quiet = self.on_quiet is not None and not self.pending and not self.stopped
                if not quiet:
                    self.cond.wait_for(lambda: self.pending or self.stopped)
                    while not self.stopped:
                        now = time.monotonic()
                        due = min(self.last + self.settle, self.first + self.longest)
                        if now >= due:
                            break
                        self.cond.wait(due - now)
                    if self.stopped:
                        return
                    changed, self.pending = sorted(self.pending), set()
            try:
                if quiet:
                    owed = False
                    assert self.on_quiet is not None
                    self.on_quiet()
                else:
                    owed = True
                    self.action(changed)
            except Exception:  # noqa: BLE001 - the rebuild loop must outlive any one rebuild
                traceback.print_exc(file=sys.stderr)


class Watcher:
    """watchdog on content/, static/, templates/, themes/ and site.yaml; editor noise ignored."""

    def __init__(self, root: Path, ignore: list[Path], notify: Callable[[str], None]):
        from watchdog.events import FileSystemEvent, FileSystemEventHandler
        from watchdog.observers import Observer

        self.root, self.ignore, self.notify = root, ignore, notify
        self.observer = Observer()
        self.watches: dict[str, Any] = {}
        watcher = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: FileSystemEvent) -> None:
                watcher.handle(event)

        self.handler = Handler()

    def start(self) -> None:
        self.observer.schedule(self.handler, str(self.root), recursive=False)
        for name in WATCHED:
            self._watch(name)
        self.observer.start()

    def stop(self) -> None:
        if self.observer.is_alive():
            self.observer.stop()
            self.observer.join(timeout=5)

    def _watch(self, name: str) -> None:
        """(Re)start the recursive watch of a top-level folder (it may have been deleted and made again)."""
        old = self.watches.pop(name, None)
        if old is not None:
            try:
                self.observer.unschedule(old)
            except (KeyError, OSError):
                pass
        folder = self.root / name
        if folder.is_dir() and not folder.is_symlink():
            self.watches[name] = self.observer.schedule(self.handler, str(folder), recursive=True)

    def relevant(self, path: str | bytes) -> str | None:
        """The site-relative path of a change worth a rebuild, else None."""
        if not path:
            return None
        full = Path(path.decode() if isinstance(path, bytes) else path)
        try:
            rel = full.relative_to(self.root)
        except ValueError:
            return None
        if any(full == place or full.is_relative_to(place) for place in self.ignore):
            return None
        parts = rel.parts
        if not parts or (parts != ("site.yaml",) and parts[0] not in WATCHED):
            return None
        if any(is_noise(part) for part in parts):
            return None
        return rel.as_posix()

    def handle(self, event: object) -> None:
        kind = getattr(event, "event_type", "")
        if kind in ("opened", "closed_no_write") or (kind == "modified" and getattr(event, "is_directory", False)):
            return  # directory mtime changes repeat the file events; reads change nothing
        for path in (getattr(event, "dest_path", ""), getattr(event, "src_path", "")):  # a save by rename: its name
            rel = self.relevant(path)
            if rel is None:
                continue
            if rel in WATCHED and getattr(event, "is_directory", False) and kind in ("created", "moved"):
                self._watch(rel)  # a watched folder appeared (or came back) after start
            self.notify(rel)
            return
