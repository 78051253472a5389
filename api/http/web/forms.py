"""HTML forms for the application's commands, built from the commands' own pydantic models
(the same models the API takes as bodies), and the posted form read back into them.

A field's input follows its type: a day typed dd/mm/yyyy, a number, a choice for an enumeration or
a ``Literal``, a check box for a flag, a text box otherwise; a nested value (the document,
the person) is a group of fields named ``document.number``; a list is a few numbered rows
(``introducers.0.member_id``). An empty field is left out, so the model's default applies.
Errors come back by field path, to be shown next to the field they concern.
"""

from __future__ import annotations

import enum
import json
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal, Union, get_args, get_origin
from uuid import UUID

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from api.audit.refusals import validation_messages
from api.http.web.i18n import Words, parse_day

SKIPPED = frozenset({"id"})
LIST_ROWS = 2


@dataclass
class Input:
    """One input of a form."""

    name: str  # the dotted path: "document.number"
    label: str
    kind: str  # date | number | text | textarea | select | checkbox | json
    required: bool
    options: list[tuple[str, str]] = field(default_factory=list)
    value: str = ""
    error: str = ""
    suggestions: str = ""  # the id of a <datalist> for reference fields


@dataclass
class Group:
    """A nested value's fields, under a legend."""

    name: str
    label: str
    required: bool
    items: list[Input | Group]
    error: str = ""


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """The type inside ``X | None``, and whether None is allowed."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def build(
    model: type[BaseModel],
    words: Words,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    prefix: str = "",
    suggestions: Mapping[str, str] | None = None,
    within_optional: bool = False,
) -> list[Input | Group]:
    """The inputs of ``model``'s form, filled with ``values`` and ``errors`` by path. Inside
    an optional group (``within_optional``) no input is required by the browser: the group
    may be left empty as a whole."""
    values, errors, suggestions = values or {}, errors or {}, suggestions or {}
    items: list[Input | Group] = []
    for name, info in model.model_fields.items():
        if name in SKIPPED and not prefix:
            continue
        item = _item(name, info, words, values, errors, prefix, suggestions, within_optional)
        items.append(item)
    return items


def _item(
    name: str,
    info: FieldInfo,
    words: Words,
    values: Mapping[str, str],
    errors: Mapping[str, str],
    prefix: str,
    suggestions: Mapping[str, str],
    within_optional: bool,
) -> Input | Group:
    path = f"{prefix}{name}"
    inner, optional = _unwrap(info.annotation)
    required = info.is_required() and not optional and not within_optional
    label = words.field(name)
    if isinstance(inner, type) and issubclass(inner, BaseModel):
        sub = build(inner, words, values, errors, f"{path}.", suggestions, not required)
        return Group(path, label, required, sub, errors.get(path, ""))
    if get_origin(inner) is list:
        (element,) = get_args(inner) or (str,)
        rows: list[Input | Group] = []
        limit = _max_length(info) or LIST_ROWS
        for i in range(min(limit, LIST_ROWS)):
            row = f"{path}.{i}"
            if isinstance(element, type) and issubclass(element, BaseModel):
                first = required and i == 0
                sub = build(element, words, values, errors, f"{row}.", suggestions, not first)
                rows.append(Group(row, f"{label} {i + 1}", first, sub))
            else:
                rows.append(
                    Input(row, f"{label} {i + 1}", "text", False, value=values.get(row, ""))
                )
        return Group(path, label, required, rows, errors.get(path, ""))
    value, error = values.get(path, ""), errors.get(path, "")
    if inner is bool:
        default = info.default if isinstance(info.default, bool) else False
        checked = values.get(path, "on" if default else "") == "on"
        return Input(path, label, "checkbox", False, value="on" if checked else "", error=error)
    options = _options(inner, words)
    if options is not None:
        if not values and isinstance(info.default, str | enum.Enum):
            value = str(getattr(info.default, "value", info.default))
        return Input(path, label, "select", required, options, value, error)
    if inner is date:
        return Input(path, label, "date", required, value=value, error=error)
    if inner is int:
        return Input(path, label, "number", required, value=value, error=error)
    if get_origin(inner) is dict:
        return Input(path, label, "json", required, value=value, error=error)
    kind = "textarea" if (_max_length(info) or 0) > 300 else "text"
    hint = suggestions.get(name, "") if inner is UUID else ""
    return Input(path, label, kind, required, value=value, error=error, suggestions=hint)


def _options(inner: Any, words: Words) -> list[tuple[str, str]] | None:
    if get_origin(inner) is Literal:
        return [(str(v), words.enum(v)) for v in get_args(inner)]
    if isinstance(inner, type) and issubclass(inner, enum.Enum):
        return [(str(m.value), words.enum(m.value)) for m in inner]
    return None


def _max_length(info: FieldInfo) -> int | None:
    for meta in info.metadata:
        limit = getattr(meta, "max_length", None)
        if isinstance(limit, int):
            return limit
    return None


class FormErrors(Exception):
    """The posted form does not make a valid command: messages by field path."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors


def read(model: type[BaseModel], form: Mapping[str, str], words: Words) -> Any:
    """The command ``model`` from a posted form, or ``FormErrors``."""
    data: dict[str, Any] = {}
    bad: dict[str, str] = {}
    _collect(model, form, "", data, bad, words)
    if bad:
        raise FormErrors(bad)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise FormErrors(messages(exc, words)) from exc


def _collect(
    model: type[BaseModel],
    form: Mapping[str, str],
    prefix: str,
    into: dict[str, Any],
    bad: dict[str, str],
    words: Words,
) -> None:
    for name, info in model.model_fields.items():
        if name in SKIPPED and not prefix:
            continue
        path = f"{prefix}{name}"
        inner, _ = _unwrap(info.annotation)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            sub: dict[str, Any] = {}
            _collect(inner, form, f"{path}.", sub, bad, words)
            if _filled(sub):
                into[name] = sub
        elif get_origin(inner) is list:
            (element,) = get_args(inner) or (str,)
            rows: list[Any] = []
            for i in range(LIST_ROWS):
                if isinstance(element, type) and issubclass(element, BaseModel):
                    row: dict[str, Any] = {}
                    _collect(element, form, f"{path}.{i}.", row, bad, words)
                    if _filled(row):
                        rows.append(row)
                elif (text := form.get(f"{path}.{i}", "").strip()) != "":
                    rows.append(text)
            if rows:
                into[name] = rows
        elif inner is bool:
            into[name] = form.get(path) == "on"
        elif get_origin(inner) is dict:
            text = form.get(path, "").strip()
            if text:
                try:
                    into[name] = json.loads(text)
                except ValueError:
                    bad[path] = "JSON không hợp lệ" if words.language == "vi" else "not JSON"
        elif inner is date:
            text = form.get(path, "").strip()
            if text != "":
                try:
                    into[name] = parse_day(text).isoformat()
                except ValueError:
                    bad[path] = words("bad_day")
        else:
            text = form.get(path, "").strip()
            if text != "":
                into[name] = text


def _filled(data: dict[str, Any]) -> bool:
    """Whether a group holds anything typed (check boxes alone do not count)."""
    return any(not isinstance(v, bool) for v in data.values())


def messages(exc: ValidationError, words: Words) -> dict[str, str]:
    """A pydantic error as messages by dotted field path ("" for the whole command)."""
    return validation_messages(exc, words.language)
