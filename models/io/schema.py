"""The published JSON Schema of OpsPlan documents and a cached validator for it.

The schema lives in ``resources/schema/opsplan-v1.schema.json`` (package
``opsplan.resources``). It is read through :mod:`importlib.resources` so it works
from a wheel, an editable install or a frozen desktop bundle; a path relative to
this package is the fallback.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

SCHEMA_FILE = "schema/opsplan-v1.schema.json"
SCHEMA_VERSION = 1


def _read_schema_text() -> str:
    try:
        return resources.files("opsplan.resources").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError, NotADirectoryError):
        # e.g. a bundle that ships the folders but not the resources package metadata
        fallback = Path(__file__).resolve().parents[2] / "resources" / SCHEMA_FILE
        return fallback.read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def load_schema() -> dict[str, Any]:
    """The OpsPlan v1 document schema as a dict (parsed once, then cached; do not mutate it)."""
    return json.loads(_read_schema_text())


@lru_cache(maxsize=1)
def validator() -> jsonschema.Draft202012Validator:
    """A draft 2020-12 validator for :func:`load_schema` (built once)."""
    schema = load_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _order(error: jsonschema.ValidationError) -> tuple[int, tuple[str, ...]]:
    # Deepest first: the innermost error is the most precise one to show a person.
    return (-len(error.absolute_path), tuple(str(p) for p in error.absolute_path))


def schema_errors(data: Any) -> list[jsonschema.ValidationError]:
    """Every schema violation of ``data``, most precise first.

    Each error's ``json_path`` (e.g. ``$.scenario.jobs[2].operations[0]``) says where.
    """
    return sorted(validator().iter_errors(data), key=_order)


def describe(error: jsonschema.ValidationError) -> str:
    """A one-line, human-readable text for a schema error (without its path)."""
    v = error.validator
    if v == "additionalProperties" and isinstance(error.instance, dict):
        known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        extra = sorted(k for k in error.instance if k not in known)
        names = ", ".join(repr(k) for k in extra)
        return f"unknown key{'s' if len(extra) != 1 else ''} {names}" + (
            f" (allowed: {', '.join(known)})" if known else ""
        )
    if v == "required":
        return error.message.replace("is a required property", "is missing")
    if v == "type":
        return f"expected {_types(error.validator_value)}, got {_json_type(error.instance)} {_short(error.instance)}"
    if v == "minimum":
        return f"{_short(error.instance)} is below the minimum {error.validator_value}"
    if v == "const":
        return f"expected {json.dumps(error.validator_value)}, got {_short(error.instance)}"
    if v == "enum":
        allowed = ", ".join(json.dumps(x) for x in error.validator_value)
        return f"{_short(error.instance)} is not one of {allowed}"
    if v == "minItems":
        return f"needs at least {error.validator_value} item(s)"
    if v == "minLength":
        return "must not be empty"
    return error.message


def _types(t: str | list[str]) -> str:
    names = [t] if isinstance(t, str) else list(t)
    article = {"integer": "an integer", "object": "an object", "array": "an array", "string": "a string"}
    return " or ".join(article.get(n, n) for n in names)


def _json_type(x: Any) -> str:
    if x is None:
        return "null"
    if isinstance(x, bool):
        return "boolean"
    if isinstance(x, int):
        return "integer"
    if isinstance(x, float):
        return "number"
    if isinstance(x, str):
        return "string"
    if isinstance(x, list):
        return "array"
    return "object"


def _short(x: Any, limit: int = 40) -> str:
    text = json.dumps(x, ensure_ascii=False) if not isinstance(x, (dict, list)) else _json_type(x)
    return text if len(text) <= limit else text[: limit - 1] + "…"
