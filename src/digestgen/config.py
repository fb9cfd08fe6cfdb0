"""site.yaml -> a typed SiteConfig; problems here exit with code 2."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from digestgen.errors import COMMAND_LINE, ConfigError, Problem, UsageError
from digestgen.options import BuildOptions, now_in, today_in  # noqa: F401 - (and for modules importing them from here)
from digestgen.schema import check_url
from digestgen.site_schema import SiteFields
from digestgen.validation import validate
from digestgen.yamlio import Doc, load_mapping, read_text


@dataclass(frozen=True)
class SiteConfig:
    """Everything the rest of the pipeline needs to know about a site."""

    root: Path
    fields: SiteFields
    tz: dt.tzinfo
    base_url: str  # always ends with '/'
    output: Path
    today: dt.date
    options: BuildOptions
    now: dt.datetime  # the build's moment in tz, to the second (today is its date)

    @property
    def publish(self) -> str:
        """When an issue appears: 'on-date' (a daily digest's default) or 'when-complete'."""
        return self.fields.publish or ("on-date" if self.fields.cadence == "daily" else "when-complete")

    @property
    def base_path(self) -> str:
        """The path part of base_url ('/' or '/digest/'), prefixed to every internal link."""
        from urllib.parse import urlsplit

        path = urlsplit(self.base_url).path or "/"
        return path if path.endswith("/") else path + "/"

    @property
    def content_dir(self) -> Path:
        return self.root / "content"


# the base_url `digestgen init` writes when it is not given one: a site published there links
# every feed item, sitemap entry and email to a host that is not the curator's
PLACEHOLDER_BASE_URL = "https://example.org/"


def placeholder_warning(config: SiteConfig) -> Problem | None:
    """A warning, at base_url in site.yaml, when base_url is still init's placeholder host."""
    if (
        config.options.base_url is not None
        or urlsplit(config.base_url).hostname != urlsplit(PLACEHOLDER_BASE_URL).hostname
    ):
        return None
    text = read_text(config.root / "site.yaml", "site.yaml", [])
    doc = load_mapping(text, "site.yaml") if text is not None else None
    line, col = doc.mark(("base_url",)) if doc is not None else (1, 1)
    return Problem("site.yaml", line, col, "base_url",
                   f"{config.base_url} is the placeholder that 'digestgen init' writes; set base_url to the address "
                   "the site will be published at (feeds, the sitemap and emails link there), or pass --base-url",
                   severity="warning")


def load_config(root: Path, options: BuildOptions | None = None) -> SiteConfig:
    """Read and validate root/site.yaml."""
    options = options or BuildOptions()
    root = root.resolve()
    path = root / "site.yaml"
    if not path.is_file():
        raise UsageError(
            f"no site.yaml in {root.name or root}; run 'digestgen init DIR' to create a site, or cd into one"
        )
    problems: list[Problem] = []
    text = read_text(path, "site.yaml", problems)
    doc = load_mapping(text, "site.yaml", 0, problems) if text is not None else None
    if doc is not None and options.base_url is not None:
        try:
            doc.data["base_url"] = check_url(options.base_url)
        except ValueError as exc:  # site.yaml's own value stays, to be checked as usual
            problems.append(Problem(COMMAND_LINE, 0, 0, "--base-url", str(exc)))
    fields = validate(SiteFields, doc, problems) if doc is not None else None
    tz: dt.tzinfo = dt.timezone.utc
    if fields is not None:
        try:
            tz = zoneinfo.ZoneInfo(fields.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            line, col = doc.mark(("timezone",)) if doc else (1, 1)
            problems.append(
                Problem(
                    "site.yaml",
                    line,
                    col,
                    "timezone",
                    f"unknown timezone {fields.timezone!r}; use an IANA name like 'Europe/Berlin' or 'UTC'",
                )
            )
    if fields is not None and doc is not None:
        _check_static_files(root, fields, doc, problems)
    if problems or fields is None:
        raise ConfigError(problems)
    base_url = fields.base_url if fields.base_url.endswith("/") else fields.base_url + "/"
    output = options.output or Path(fields.output or "public")
    output = (output if output.is_absolute() else root / output).resolve()
    now = now_in(tz)
    return SiteConfig(root, fields, tz, base_url, output, now.date(), options, now)


_LOGO_TYPES = (".svg", ".png", ".jpg", ".jpeg", ".webp", ".gif", ".avif")


def _check_static_files(root: Path, fields: SiteFields, doc: Doc, problems: list[Problem]) -> None:
    """extra_css and logo name files that exist under static/ and are of the right kind."""
    wanted: list[tuple[tuple[str | int, ...], str, tuple[str, ...], str]] = [
        (("extra_css", i), css, (".css",), "a stylesheet (.css)") for i, css in enumerate(fields.extra_css)]
    if fields.logo:
        wanted.append((("logo",), fields.logo, _LOGO_TYPES, "an image (" + ", ".join(_LOGO_TYPES) + ")"))
    for loc, rel, suffixes, kind in wanted:
        line, col = doc.mark(loc)
        name = ".".join(str(part) for part in loc)
        file = root / "static" / rel
        if not rel.lower().endswith(suffixes):
            problems.append(Problem("site.yaml", line, col, name, f"must be {kind}, got {rel!r}"))
        elif file.is_symlink() or not file.is_file():
            problems.append(Problem("site.yaml", line, col, name, f"static/{rel} does not exist; put the file there"))
