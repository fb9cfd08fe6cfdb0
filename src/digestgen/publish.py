"""When an issue appears: the site's rule (on-date, when-complete) and an issue's own draft or
publish_at, against the build's moment; and the words check and build use to say so."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from digestgen.config import SiteConfig
    from digestgen.content import IssueIntro, Paper
    from digestgen.site import SiteModel

PERIOD = {"daily": "day", "weekly": "week", "monthly": "month"}


def publication(config: SiteConfig, intro: IssueIntro | None, papers: list[Paper],
                end: dt.date) -> tuple[dt.datetime | None, str]:
    """When an issue (its intro, its papers, its last day) appears, and why then: its intro's
    draft or publish_at, else the site's rule. None for a draft."""
    if intro is not None and intro.draft:
        return None, "a draft"
    if intro is not None and intro.publish_at is not None:
        return intro.publish_at, "as scheduled in " + intro.source
    if config.publish == "on-date":
        first = min(p.date for p in papers)
        return start_of_day(first, config), "on its first paper's date"
    return start_of_day(end, config, days=1), f"when its {PERIOD[config.fields.cadence]} ends"


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def moment_text(moment: dt.datetime) -> str:
    """'Mon 7 Dec 2026 00:00' (English whatever the locale, like the rest of the messages)."""
    return f"{_DAYS[moment.weekday()]} {moment.day} {_MONTHS[moment.month - 1]} {moment.year} {moment:%H:%M}"


def next_issue_line(model: SiteModel) -> str:
    """One line for check and build: the issue published next and when, and the drafts held back."""
    upcoming = model.next_issue
    if upcoming is not None and upcoming.publish_at is not None:
        line = (
            f"next issue: {upcoming.key} publishes {moment_text(upcoming.publish_at)} {model.config.fields.timezone} "
            f"({upcoming.publish_rule})"
        )
    else:
        line = "next issue: none scheduled yet"
    drafts = [i.key for i in model.upcoming if i.publish_at is None]
    if drafts:
        line += f"; held back as draft{'s' * (len(drafts) > 1)}: {', '.join(drafts)}"
    return line


def start_of_day(day: dt.date, config: SiteConfig, days: int = 0) -> dt.datetime:
    """The start of the day days after day, in the site's timezone (far in the future past 9999)."""
    try:
        return dt.datetime.combine(day + dt.timedelta(days=days), dt.time(), config.tz)
    except OverflowError:
        return dt.datetime(9999, 12, 31, tzinfo=dt.timezone.utc)
