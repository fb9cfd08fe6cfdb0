"""The preview server never serves a file from outside the built site, whatever the request path."""

from __future__ import annotations

import http.client
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from digestgen.serve import Preview

from .security_helpers import make_site, pinned_env

SECRET = "root:x:0:0:TOPSECRET"


@pytest.fixture(scope="module")
def preview(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Preview, Path]]:
    base = tmp_path_factory.mktemp("serve")
    (base / "secret.txt").write_text(SECRET, "utf-8")
    root = make_site(base / "site")
    (root / "secret-in-site.txt").write_text(SECRET, "utf-8")
    with pinned_env():
        running = Preview(root, port=0, settle=0.1, log=lambda message: None)
        running.start()
    try:
        yield running, base
    finally:
        running.stop()


def _get(port: int, path: str, host: str = "127.0.0.1") -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", f"{host}:{port}")
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


TRAVERSALS = [
    "/../../../../etc/passwd", "/../secret.txt", "/../../secret.txt", "/%2e%2e/%2e%2e/secret.txt",
    "/%2E%2E%2F%2E%2E%2Fsecret.txt", "/..%2f..%2fsecret.txt", "/..%5c..%5csecret.txt", "/..\\..\\secret.txt",
    "//etc/passwd", "///etc/passwd", "/%2f%2fetc/passwd", "/%c0%ae%c0%ae/%c0%ae%c0%ae/secret.txt",
    "/%252e%252e/secret.txt", "/papers/%00/../../secret.txt", "/.%2e/secret.txt", "/./../secret.txt",
    "/../site/secret-in-site.txt", "/../site.yaml", "/../content/papers/2511.00001.md", "/.digestgen.json",
    "http://127.0.0.1/../secret.txt", "/secret.txt?/../../x", "/%2e%2e%00/secret.txt",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_paths_never_leave_the_site(preview: tuple[Preview, Path], path: str) -> None:
    running, _ = preview
    status, body = _get(running.port, path)
    assert status in (301, 400, 403, 404), (path, status)
    assert b"TOPSECRET" not in body and b"title: Security Digest" not in body


def test_symlink_in_the_search_folder_is_not_followed_out(preview: tuple[Preview, Path]) -> None:
    running, base = preview
    folder = running.search_folder() / "pagefind"  # the only part of a preview served from disk
    folder.mkdir(parents=True, exist_ok=True)
    link = folder / "leak.txt"
    os.symlink(base / "secret.txt", link)
    try:
        status, body = _get(running.port, "/pagefind/leak.txt")
    finally:
        link.unlink()
    assert status == 404 and b"TOPSECRET" not in body


def test_foreign_host_header_refused(preview: tuple[Preview, Path]) -> None:
    """A page on another site that rebinds its DNS name to 127.0.0.1 cannot read the preview."""
    running, _ = preview
    assert _get(running.port, "/", host="evil.example")[0] == 403
    assert _get(running.port, "/")[0] == 200
