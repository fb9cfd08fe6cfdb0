"""Validation of a YAML document against a schema, with pydantic's errors turned into
problems marked with the file, line and column of the value, and hints a person can act on."""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import ValidationError

from digestgen.errors import MAX_PER_FILE, Problem
from digestgen.schema import Strict
from digestgen.yamlio import Doc

_KIND = {
    "bool": "the boolean",
    "int": "the number",
    "float": "the number",
    "timestamp": "the date",
    "null": "an empty value",
}


def _hint(doc: Doc, loc: tuple[Any, ...], err: dict[str, Any]) -> str | None:
    """Explain YAML 1.1 coercions: yes -> true, 2511.11 -> float, 1:20 -> 80."""
    scalar = doc.scalars.get(loc)
    if scalar is None or not scalar.plain or scalar.tag == "str":
        return None
    if not err["type"].startswith(("string", "str")):
        return None
    field = str(loc[-1]) if loc else "value"
    if isinstance(loc[-1], int):
        field = str(loc[-2]) + " item"
    what = _KIND.get(scalar.tag, "a " + scalar.tag)
    if scalar.tag == "null":
        return "is empty; write a value or remove the line"
    if field == "arxiv":
        return f'YAML read {what} {scalar.text}; quote the id: arxiv: "{scalar.text}"'
    if scalar.tag == "int" and ":" in scalar.text:
        return f'YAML 1.1 read {scalar.text} as a base-60 number; quote it: "{scalar.text}"'
    return f'YAML read {what} {scalar.text}; quote it: "{scalar.text}"'


def _message(doc: Doc, loc: tuple[Any, ...], err: dict[str, Any], fields: list[str], suggest: bool = True) -> str:
    kind = err["type"]
    hint = _hint(doc, loc, err)
    if hint:
        return hint
    if kind == "extra_forbidden":
        name = str(loc[-1])
        if not suggest:
            return "unknown field"
        close = difflib.get_close_matches(name, fields, n=1, cutoff=0.6)
        if close:
            return f"unknown field; did you mean '{close[0]}'?"
        return "unknown field; allowed fields are " + ", ".join(fields)
    if kind == "missing":
        return "is required"
    if kind in ("value_error", "assertion_error"):
        msg = str(err.get("ctx", {}).get("error", err["msg"]))
        return msg
    if kind == "int_type":
        return "must be a whole number (not text, not true/false)"
    if kind == "bool_type":
        return "must be true or false"
    if kind in ("date_type", "date_from_datetime_inexact", "date_parsing"):
        return "must be a date written YYYY-MM-DD (like 2025-11-18)"
    if kind in ("list_type",):
        return "must be a list (one '- item' per line)"
    if kind in ("dict_type", "model_type"):
        return "must be a mapping of 'name: value' lines"
    if kind == "string_type":
        return "must be text"
    if kind == "literal_error":
        return f"must be one of {err.get('ctx', {}).get('expected', '')}"
    if kind == "string_too_long":
        limit = err.get("ctx", {}).get("max_length")
        if isinstance(err.get("input"), str):
            return f"is {len(err['input']):,} characters long; the limit is {limit:,}"
        return f"is too long: at most {limit} characters"
    bound = {"greater_than_equal": ("ge", "at least"), "less_than_equal": ("le", "at most")}.get(kind)
    if bound:
        key, words = bound
        limit = err.get("ctx", {}).get(key)
        return f"must be {words} {limit:,}" if isinstance(limit, int) else f"must be {words} {limit}"
    if kind == "too_long":
        return f"is too long: at most {err.get('ctx', {}).get('max_length')} items or characters"
    return err["msg"]


def validate(model: type[Strict], doc: Doc, problems: list[Problem], context: dict[str, Any] | None = None,
             prefix: tuple[Any, ...] = ()) -> Any:
    """Validate doc.data with model; append a marked problem per error; None on failure.

    Every field is checked (pydantic reports them all): values refused while reading the YAML
    (Doc.reported) are not reported a second time.
    """
    data = doc.data
    for key in prefix:
        data = data[key]
    try:
        record = model.model_validate(data, context=context)
    except ValidationError as exc:
        fields = sorted(model.model_fields)
        unknown = 0
        for err in exc.errors(include_url=False):
            loc = (*prefix, *err["loc"])
            if doc.was_reported(loc):
                continue
            unknown += err["type"] == "extra_forbidden"  # in file order: those past the cap are not shown
            msg = _message(doc, loc, dict(err), fields, suggest=unknown <= MAX_PER_FILE)
            if msg.startswith(tuple(f + ": " for f in fields)) and not loc[len(prefix):]:
                field, _, msg = msg.partition(": ")
                loc = (*prefix, field)
            line, col = doc.mark(loc, key=err["type"] in ("extra_forbidden",))
            if err["type"] == "missing":
                line, col = doc.start
            name = ".".join(str(p) for p in loc) or "(document)"
            problems.append(Problem(doc.path, line, col, name, msg))
        return None
    return None if doc.was_reported(prefix) or any(key[: len(prefix)] == prefix for key in doc.reported) else record
