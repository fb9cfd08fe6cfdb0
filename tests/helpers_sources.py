"""A local stand-in for the arXiv, Hugging Face and Crossref APIs, serving tests/fixtures/ on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass
class FakeApis:
    """Requests seen, and answers to give before the recorded one (e.g. [(429, {'Retry-After': '2'})])."""

    url: str = ""
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    busy: list[tuple[int, dict[str, str]]] = field(default_factory=list)

    @property
    def arxiv(self) -> str:
        return self.url + "arxiv/query"

    @property
    def hf(self) -> str:
        return self.url + "hf"

    @property
    def crossref(self) -> str:
        return self.url + "crossref"


def _answer(path: str, query: dict[str, list[str]]) -> tuple[int, str, bytes]:
    if path == "/arxiv/query":
        ids = query.get("id_list", [""])[0]
        for name in (ids.replace("/", "_") + ".xml", "bad-id.xml" if ids == "2511.1" else "empty.xml"):
            file = FIXTURES / "arxiv" / name
            if file.is_file():
                return 200, "application/atom+xml; charset=utf-8", file.read_bytes()
    if path.startswith("/hf/papers/"):
        file = FIXTURES / "hf" / f"paper-{path.rsplit('/', 1)[-1]}.json"
        if file.is_file():
            return 200, "application/json", file.read_bytes()
    if path.startswith("/crossref/works/"):
        file = (
            FIXTURES / "crossref" / (unquote(path.removeprefix("/crossref/works/")).lower().replace("/", "_") + ".json")
        )
        if file.is_file():
            return 200, "application/json", file.read_bytes()
    if path == "/hf/daily_papers":
        file = FIXTURES / "hf" / f"daily_papers-{query.get('date', [''])[0]}.json"
        return 200, "application/json", file.read_bytes() if file.is_file() else b"[]"
    return 404, "text/plain", b"not found"


@contextmanager
def fake_apis() -> Iterator[FakeApis]:
    state = FakeApis()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            state.requests.append((self.path, dict(self.headers.items())))
            if state.busy:
                status, headers = state.busy.pop(0)
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            parts = urlsplit(self.path)
            status, ctype, body = _answer(parts.path, parse_qs(parts.query))
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
