"""The ``rule`` codes each command can answer with, read from the code that runs it.

An operation's codes are found by walking the source of its endpoint (``ast``) and of
every function of ours it calls, following names through the function's globals, its
closure and the types of its parameters (``admissions: AdmissionsDep`` leads into
``Admissions``; a handler's ``app: Lookups`` too, the protocol ``Admissions`` fulfils).
On the way a code is collected where the code says it:

- ``rule="..."`` given to a call (``DomainError(..., rule=...)``, ``CheckResult(rule=...)``),
  or a ``rule`` variable those strings were assigned to;
- ``check_result("...", ...)``;
- a reference to a named rule object (a class with a ``code`` and a ``check``), or to a
  ``DomainError`` subclass with its own ``rule`` (``WrongStage``, ``NotFound``, ...);
- a reference to a candidacy step (an event class): its own ``check`` and its place in the
  order of steps (``domain.candidacy.order.order_rules``).

A function that marks its check ``blocking=False`` (a failed vote: a fact, not a refusal)
contributes nothing. Two parts are declared, because the code picks them at run time:
the handler of a candidacy command (``workflows.handlers.HANDLERS`` by the body's type)
and, for a correction, the checks of every step (it re-runs the restated step and each
after it). A unit test drives the commands and proves every code they raise is listed.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
import types
import typing
from collections.abc import Callable
from functools import cache
from typing import Any

from api.http.problems import INVALID_INPUT
from domain.candidacy.events import CandidacyEvent
from domain.candidacy.order import order_rules
from domain.errors import DomainError
from workflows import commands as c
from workflows.application import Admissions
from workflows.handlers import HANDLERS
from workflows.lookups import Lookups

# Modules whose functions are followed: the domain, the workflows, the HTTP layer's own.
OURS = ("domain.", "workflows.", "api.http.")
# A protocol's implementation, for parameters typed by the protocol.
IMPLEMENTATIONS: dict[type, type] = {Lookups: Admissions}


def operation_rules(endpoint: Callable[..., Any], body: type | None) -> frozenset[str]:
    """The rule codes the operation ``endpoint`` (with request ``body``) can answer with."""
    codes = set(_codes(endpoint, None))
    if body is not None:  # request validation (``api.http.problems``)
        codes.add(INVALID_INPUT)
    handler = HANDLERS.get(body) if isinstance(body, type) else None
    if handler is not None:  # Admissions.execute dispatches on the body's type
        codes |= _codes(handler, None)
    if body is c.CorrectRecord:  # a correction re-checks every step it may move
        for step in _steps():
            codes |= _step_codes(step)
    return frozenset(codes)


def _steps() -> list[type[CandidacyEvent]]:
    found: list[type[CandidacyEvent]] = []
    pending = [CandidacyEvent]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


@cache
def _step_codes(step: type[CandidacyEvent]) -> frozenset[str]:
    return _codes(step.check, step) | order_rules(step.__name__)


def _object_codes(obj: Any, owner: type | None) -> frozenset[str]:
    """The codes a reference to ``obj`` brings."""
    if isinstance(obj, property) and obj.fget is not None:
        obj = obj.fget
    if isinstance(obj, type):
        if issubclass(obj, CandidacyEvent):
            return _step_codes(obj)
        if issubclass(obj, DomainError):
            return frozenset({obj.rule} - {DomainError.rule})
        code = obj.__dict__.get("code")
        if isinstance(code, str) and callable(getattr(obj, "check", None)):
            return frozenset({code})  # a named rule object (``domain.rules``)
        return frozenset()
    if isinstance(obj, types.FunctionType | types.MethodType) and _ours(obj):
        return _codes(obj, owner)
    return frozenset()


def _ours(func: Any) -> bool:
    return any(str(getattr(func, "__module__", "")).startswith(m) for m in OURS)


@cache
def _codes(func: Callable[..., Any], owner: type | None) -> frozenset[str]:
    """The codes ``func`` (a method of ``owner`` when given) and what it calls can raise."""
    _codes_in_progress.add((func, owner))
    try:
        return frozenset(_Walk(func, owner).codes())
    finally:
        _codes_in_progress.discard((func, owner))


_codes_in_progress: set[tuple[Any, Any]] = set()


class _Walk:
    """One function's source, read for codes."""

    def __init__(self, func: Callable[..., Any], owner: type | None) -> None:
        self.func = inspect.unwrap(func)
        self.owner = owner
        self.namespace: dict[str, Any] = dict(getattr(self.func, "__globals__", {}))
        closure = getattr(self.func, "__closure__", None) or ()
        free = getattr(getattr(self.func, "__code__", None), "co_freevars", ())
        for name, cell in zip(free, closure, strict=True):
            try:
                self.namespace[name] = cell.cell_contents
            except ValueError:  # an empty cell
                continue
        self.typed: dict[str, type] = {}
        self._in_step = isinstance(owner, type) and issubclass(owner, CandidacyEvent)

    def codes(self) -> set[str]:
        try:
            source = textwrap.dedent(inspect.getsource(self.func))
            tree = ast.parse(source)
        except (OSError, TypeError, SyntaxError):
            return set()
        node = tree.body[0]
        if not isinstance(node, ast.FunctionDef):
            return set()
        self._type_parameters(node)
        body = ast.Module(body=node.body, type_ignores=[])
        if _never_refuses(body):
            return set()
        found: set[str] = set()
        for sub in ast.walk(body):
            if isinstance(sub, ast.Call):
                found |= self._call_codes(sub, body)
            if isinstance(sub, ast.Name | ast.Attribute) and isinstance(sub.ctx, ast.Load):
                target, owner = self._resolve(sub)
                if isinstance(target, types.FunctionType) and (
                    (target, owner) in _codes_in_progress
                ):
                    continue  # a call back into a function being read (recursion)
                if (
                    self._in_step
                    and isinstance(target, type)
                    and issubclass(target, CandidacyEvent)
                ):
                    continue  # a step's check naming another step does not run it
                if target is not None:
                    found |= _object_codes(target, owner)
        return found

    def _type_parameters(self, node: ast.FunctionDef) -> None:
        """The classes of the parameters whose annotation names one (``self``: the owner)."""
        hints: dict[str, Any] = {}
        try:
            hints = typing.get_type_hints(self.func, localns=self.namespace, include_extras=True)
        except Exception:  # an annotation that does not resolve: that parameter stays untyped
            hints = {}
        for arg in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]:
            hint = hints.get(arg.arg)
            if typing.get_origin(hint) is typing.Annotated:
                hint = typing.get_args(hint)[0]
            if isinstance(hint, type):
                self.typed[arg.arg] = IMPLEMENTATIONS.get(hint, hint)
        if self.owner is not None and node.args.args and node.args.args[0].arg == "self":
            self.typed["self"] = self.owner

    def _resolve(self, node: ast.expr) -> tuple[Any, type | None]:
        """What ``node`` names, and the class it was looked up on (for methods)."""
        if isinstance(node, ast.Name):
            if node.id in self.typed:
                return self.typed[node.id], None
            return self.namespace.get(node.id), None
        if isinstance(node, ast.Attribute):
            base, _ = self._resolve(node.value)
            if base is None:
                return None, None
            try:
                value = inspect.getattr_static(base, node.attr)
            except AttributeError:
                return None, None
            if isinstance(value, staticmethod | classmethod):
                value = value.__func__
            return value, base if isinstance(base, type) else None
        return None, None

    def _call_codes(self, call: ast.Call, body: ast.Module) -> set[str]:
        found: set[str] = set()
        for keyword in call.keywords:
            if keyword.arg == "rule":
                found |= _strings(keyword.value)
                if isinstance(keyword.value, ast.Name):
                    found |= _assigned(body, keyword.value.id)
        callee, _ = self._resolve(call.func)
        if getattr(callee, "__name__", "") == "check_result" and call.args:
            found |= _strings(call.args[0])
        if getattr(callee, "__name__", "") == "<lambda>" and call.args:
            # ``run(admissions)`` with ``run = lambda a: a.rename_organisation``: the
            # lambda's attributes, looked up on the argument's class.
            receiver, _ = self._resolve(call.args[0])
            if isinstance(receiver, type):
                for name in callee.__code__.co_names:
                    method = getattr(receiver, name, None)
                    if method is not None:
                        found |= _object_codes(method, receiver)
        return found


def _strings(node: ast.expr) -> set[str]:
    """Every string literal in ``node`` (``"a" if x else "b"`` gives both)."""
    return {
        n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    }


def _assigned(body: ast.Module, name: str) -> set[str]:
    """The string literals assigned to ``name`` in ``body`` (``rule, ok = "x", False`` too)."""
    found: set[str] = set()
    for node in ast.walk(body):
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            if isinstance(target, ast.Name) and target.id == name:
                found |= _strings(node.value)
            elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                for element, value in zip(target.elts, node.value.elts, strict=False):
                    if isinstance(element, ast.Name) and element.id == name:
                        found |= _strings(value)
    return found


def _never_refuses(body: ast.Module) -> bool:
    """Whether the function marks its check non-blocking (``blocking=False``)."""
    for node in ast.walk(body):
        if (
            isinstance(node, ast.keyword)
            and node.arg == "blocking"
            and isinstance(node.value, ast.Constant)
            and node.value.value is False
        ):
            return True
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if (
                    isinstance(key, ast.Constant)
                    and key.value == "blocking"
                    and isinstance(value, ast.Constant)
                    and value.value is False
                ):
                    return True
    return False
