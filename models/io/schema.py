"""The JSON Schema of OpsPlan documents, built from the kind registry, and a validator for it.

The document schema is the envelope, the shared definitions below (schedule, assignment,
window, capacity...) and each registered kind's own definitions
(:attr:`KindDescriptor.schema_defs`). The built-in kinds' schema is also published as
``resources/schema/opsplan-v2.schema.json`` (``python -m opsplan.models.io.schema --write``
regenerates it; a test keeps it equal to :func:`build_schema`). Version 1's file stays there
for reference: version-1 documents are migrated on load (see :mod:`opsplan.models.io.document`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import jsonschema
from opsplan.models.core import MAX_ID_LENGTH, MAX_TIME
from opsplan.models.kinds import descriptors

SCHEMA_VERSION = 2
SCHEMA_FILE = f"schema/opsplan-v{SCHEMA_VERSION}.schema.json"

COMMON_DEFS: dict[str, Any] = {
    "id": {"type": "string", "minLength": 1, "maxLength": MAX_ID_LENGTH},
    "time": {"type": "integer", "minimum": 0, "maximum": MAX_TIME},
    "text": {"type": "string"},
    "count": {"type": "integer", "minimum": 0, "maximum": MAX_TIME},
    "vector": {
        "type": "object",
        "description": "Named integer dimensions, e.g. {\"cpu\": 8, \"memory\": 32}.",
        "additionalProperties": {"type": "integer", "minimum": 0, "maximum": MAX_TIME},
    },
    "capacity": {
        "description": "1 = unary, n > 1 cumulative, or named dimensions for packing.",
        "oneOf": [{"type": "integer", "minimum": 1, "maximum": MAX_TIME}, {"$ref": "#/$defs/vector"}],
    },
    "amount": {
        "description": "How much of its resource's capacity an assignment holds (default 1).",
        "oneOf": [{"$ref": "#/$defs/count"}, {"$ref": "#/$defs/vector"}],
    },
    "window": {
        "type": "object",
        "additionalProperties": False,
        "required": ["start", "end"],
        "properties": {"start": {"$ref": "#/$defs/time"}, "end": {"$ref": "#/$defs/time"},
                       "reason": {"$ref": "#/$defs/text"}},
    },
    "resource": {
        "type": "object",
        "description": "A machine, vehicle, node, crew or link with its unavailability windows.",
        "additionalProperties": False,
        "required": ["id"],
        "properties": {
            "id": {"$ref": "#/$defs/id"},
            "name": {"$ref": "#/$defs/text"},
            "capacity": {"$ref": "#/$defs/capacity"},
            "calendar": {"type": "array", "items": {"$ref": "#/$defs/window"}},
        },
    },
    "schedule": {
        "type": "object",
        "additionalProperties": False,
        "required": ["assignments"],
        "properties": {
            "name": {"type": "string"},
            "assignments": {"type": "array", "items": {"$ref": "#/$defs/assignment"}},
            "extras": {
                "type": "object",
                "description": "What a kind needs on top; plain JSON data.",
                "properties": {
                    "pinned": {"type": "array", "items": {"type": "string"},
                               "description": "Tasks kept as they are when the plan is re-optimized."},
                    "routes": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}},
                               "description": "Resource id -> the tasks it serves, in order."},
                    "placement": {"type": "object", "additionalProperties": {"type": "string"},
                                  "description": "Task id -> the resource it is placed on."},
                },
            },
        },
    },
    "assignment": {
        "type": "object",
        "additionalProperties": False,
        "required": ["task", "resource", "start", "end"],
        "properties": {
            "task": {"type": "string"},
            "resource": {"type": "string"},
            "start": {"type": "integer", "minimum": -MAX_TIME, "maximum": MAX_TIME},
            "end": {"type": "integer", "minimum": -MAX_TIME, "maximum": MAX_TIME},
            "category": {"enum": ["work", "setup", "travel", "migration", "downtime"]},
            "amount": {"$ref": "#/$defs/amount"},
        },
    },
}


def build_schema() -> dict[str, Any]:
    """The document schema for every registered kind (envelope, shared and per-kind definitions)."""
    kinds = descriptors()
    defs: dict[str, Any] = dict(COMMON_DEFS)
    for d in kinds:
        for name, definition in d.schema_defs.items():
            if name in defs and defs[name] != definition:
                raise ValueError(f"kind {d.kind!r} redefines the schema definition {name!r}")
            defs[name] = definition
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://opsplan.example/schema/opsplan-v{SCHEMA_VERSION}.schema.json",
        "title": f"OpsPlan document, version {SCHEMA_VERSION}",
        "description": "A versioned OpsPlan file: one scenario of one kind and zero or more named schedules. "
                       "Times are integers in the scenario's time_unit, counted from its epoch.",
        "type": "object",
        "additionalProperties": False,
        "required": ["format", "version", "kind", "scenario"],
        "properties": {
            "format": {"const": "opsplan", "description": "Marks the file as an OpsPlan document."},
            "version": {"const": SCHEMA_VERSION, "description": "Version of this file format."},
            "kind": {"enum": [d.kind for d in kinds], "description": "Scenario kind; selects the scenario schema."},
            "scenario": {"type": "object"},
            "schedules": {"type": "array", "items": {"$ref": "#/$defs/schedule"}},
        },
        "allOf": [
            {
                "if": {"properties": {"kind": {"const": d.kind}}, "required": ["kind"]},
                "then": {"properties": {"scenario": {"$ref": f"#/$defs/{d.schema_root}"}}},
            }
            for d in kinds
        ],
        "$defs": defs,
    }


def schema_text() -> str:
    """The published text of the schema (stable formatting, so the file diffs well)."""
    return json.dumps(build_schema(), indent=2, ensure_ascii=False) + "\n"


# ids of the registered descriptors -> (those descriptors, their validator); holding the descriptors
# keeps their ids from being reused by later, different ones
_CACHE: dict[tuple[int, ...], tuple[tuple[Any, ...], jsonschema.Draft202012Validator]] = {}


def load_schema() -> dict[str, Any]:
    """The document schema for the kinds registered now (do not mutate it)."""
    return validator().schema


def validator() -> jsonschema.Draft202012Validator:
    """A draft 2020-12 validator for :func:`build_schema`, rebuilt only when the registered kinds change."""
    kinds = tuple(descriptors())
    key = tuple(id(d) for d in kinds)
    if key not in _CACHE:
        schema = build_schema()
        jsonschema.Draft202012Validator.check_schema(schema)
        _CACHE[key] = (kinds, jsonschema.Draft202012Validator(schema))
    return _CACHE[key][1]


def published_path() -> Path:
    return Path(__file__).resolve().parents[2] / "resources" / SCHEMA_FILE


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


if __name__ == "__main__":  # python -m opsplan.models.io.schema [--write]
    if "--write" in sys.argv[1:]:
        published_path().write_text(schema_text(), encoding="utf-8")
        print(f"wrote {published_path()}")
    else:
        sys.stdout.write(schema_text())
