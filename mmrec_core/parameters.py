"""Typed notebook parameters: the type of each one, and the forms a papermill user types.

A notebook's ``parameters`` cell declares each parameter with its default; the default's type is the
parameter's type (``SEEDS = [0, 1, 2]``: a list of integers; ``LR = 1e-3``: a number). Where the
default does not tell (``None``), the cell says it with an annotation:
``NUM_THREADS: int | None = None``. ``DATA_HOME`` and ``RESULTS_DIR`` are folders (text) or None
everywhere, without an annotation.

:func:`coerce` turns what arrives in the kernel into a value of that type, or refuses it naming the
parameter, the value given and the expected form. It accepts what papermill delivers for the usual
spellings:

- ``-p SEEDS "[0, 1, 2]"`` (papermill passes the text) and ``-y "SEEDS: [0, 1, 2]"`` (a list);
- ``-p SEEDS 3``: for a parameter named ``*SEEDS``, a count ``n`` means seeds ``[0, ..., n-1]``;
- ``-p LR 0.001``, ``-p LR 1e-3`` or ``-p LR 1`` for a number; ``-p BF16 False`` or ``-p BF16 false``
  for a flag; ``-p EPOCHS "30"`` for an integer;
- ``-p DATA_HOME None`` (papermill passes None) or ``-p DATA_HOME none`` for an optional value.

Nothing else is guessed: a text where a number is expected, a flag given as ``1``, a single value
where a list is expected (other than a seed count) is refused.
"""
from __future__ import annotations

import ast
import os
from dataclasses import dataclass


class ParameterError(ValueError):
    """A notebook parameter that the notebook does not declare, or a value it does not allow."""

    def _render_traceback_(self) -> list[str]:
        """IPython (and so papermill) shows the message, not the package's stack."""
        return [f"ParameterError: {self}"]


@dataclass(frozen=True)
class ParamType:
    """``kind``: int | float | bool | str | list; ``item``: the items' type of a list; ``optional``:
    None is allowed."""

    kind: str
    item: ParamType | None = None
    optional: bool = False
    folder: bool = False        # a str that names a folder (messages say so)

    def describe(self) -> str:
        words = {"int": "an integer", "float": "a number", "bool": "True or False",
                 "str": "a folder path" if self.folder else "a string"}
        text = f"a list of {_plural(self.item)}" if self.kind == "list" else words[self.kind]
        return text + (" or None" if self.optional else "")


def _plural(t: ParamType) -> str:
    return {"int": "integers", "float": "numbers", "bool": "True/False values", "str": "strings"}.get(t.kind, "values")


# Parameters every notebook may declare whose default (None) does not tell their type.
COMMON_TYPES = {"DATA_HOME": ParamType("str", optional=True, folder=True),
                "RESULTS_DIR": ParamType("str", optional=True, folder=True)}
_SCALARS = {"int": int, "float": float, "bool": bool, "str": str}


def type_of_default(value) -> ParamType | None:
    """The :class:`ParamType` a default declares, or None where it does not tell (None, an empty or
    mixed list, another type)."""
    if isinstance(value, bool):
        return ParamType("bool")
    if isinstance(value, int):
        return ParamType("int")
    if isinstance(value, float):
        return ParamType("float")
    if isinstance(value, str):
        return ParamType("str")
    if isinstance(value, (list, tuple)) and value:
        items = {type_of_default(v) for v in value}
        if items == {ParamType("int"), ParamType("float")}:
            items = {ParamType("float")}
        if len(items) == 1 and None not in items and next(iter(items)).kind != "list":
            return ParamType("list", item=items.pop())
    return None


def type_of_annotation(node: ast.expr) -> ParamType | None:
    """The :class:`ParamType` of an annotation ``int``, ``float``, ``bool``, ``str``, ``list[X]``
    or ``X | None``; None for anything else."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        sides = [node.left, node.right]
        nones = [s for s in sides if isinstance(s, ast.Constant) and s.value is None]
        if len(nones) == 1:
            inner = type_of_annotation(next(s for s in sides if s is not nones[0]))
            return ParamType(inner.kind, inner.item, optional=True) if inner else None
        return None
    if isinstance(node, ast.Name) and node.id in _SCALARS:
        return ParamType(node.id)
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == "list":
        item = type_of_annotation(node.slice)
        return ParamType("list", item=item) if item and item.kind != "list" and not item.optional else None
    return None


def example(name: str, ptype: ParamType, default) -> str:
    """How to pass ``name`` on papermill's command line (for messages)."""
    shown = default if default is not None else {"int": 1, "float": 0.5, "bool": True, "str": "/path/to/folder"
                                                 if ptype.folder else "text"}.get(ptype.kind, [0, 1])
    if ptype.kind == "list":
        text = repr(list(shown)) if isinstance(shown, (list, tuple)) else "[...]"
        forms = f'-p {name} "{text}"  or  -y "{name}: {text}"'
        if is_seed_list(name, ptype):
            forms += f"  or  -p {name} 3 (seeds [0, 1, 2])"
        return forms
    if ptype.kind == "str":
        return f"-p {name} {shown if isinstance(shown, str) and shown and ' ' not in shown else repr(shown)}"
    return f"-p {name} {shown!r}"


def is_seed_list(name: str, ptype: ParamType) -> bool:
    return ptype.kind == "list" and ptype.item.kind == "int" and name.endswith("SEEDS")


_WORDS = {"true": True, "false": False, "none": None, "null": None}


def _parse_text(text: str):
    """A value typed as text on the command line: a Python or JSON literal (``[0, 1]``, ``1e-3``,
    ``True``, ``[false, true]``), or ``true``/``false``/``none``/``null``; raises ValueError otherwise."""
    import json

    stripped = text.strip()
    if stripped.lower() in _WORDS:
        return _WORDS[stripped.lower()]
    try:
        return ast.literal_eval(stripped)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        pass
    try:
        return json.loads(stripped)
    except ValueError:
        raise ValueError(text) from None


class _Refused(ValueError):
    pass


def _given(value) -> str:
    """``value`` and its type, for messages: ``'3' (a text)``, ``3 (an integer)``."""
    kinds = {bool: "a True/False flag", int: "an integer", float: "a number", str: "a string", list: "a list",
             tuple: "a list", dict: "a mapping"}
    return f"{value!r} ({kinds.get(type(value), type(value).__name__)})"


def _convert(value, ptype: ParamType, name: str):
    """``value`` as ``ptype``; raises :class:`_Refused` (with the part that failed) otherwise."""
    if value is None:
        if ptype.optional:
            return None
        raise _Refused("None")
    if ptype.kind == "str":
        if isinstance(value, os.PathLike):
            return os.fspath(value)
        if not isinstance(value, str):
            raise _Refused(_given(value))
        if ptype.optional and value.strip().lower() in ("none", "null"):
            return None
        return value
    if isinstance(value, str):
        try:
            parsed = _parse_text(value)
        except ValueError:
            raise _Refused(f"{value!r} (a string that is not {ptype.describe()})") from None
        if isinstance(parsed, str):
            raise _Refused(f"{value!r} (a string)")
        return _convert(parsed, ptype, name)
    if ptype.kind == "bool":
        if isinstance(value, bool):
            return value
        raise _Refused(_given(value))
    if ptype.kind == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise _Refused(_given(value))
    if ptype.kind == "float":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise _Refused(_given(value))
    # a list
    if is_seed_list(name, ptype) and isinstance(value, int) and not isinstance(value, bool):
        if value < 1:
            raise _Refused(f"{value!r} (a seed count must be at least 1)")
        return list(range(value))
    if not isinstance(value, (list, tuple)):
        raise _Refused(_given(value))
    out = []
    for i, item in enumerate(value):
        try:
            out.append(_convert(item, ParamType(ptype.item.kind), name))
        except _Refused as exc:
            raise _Refused(f"{list(value)!r}: item {i} is {exc}") from None
    return out


def coerce(notebook: str, name: str, value, ptype: ParamType, default=None):
    """``value`` of parameter ``name`` as ``ptype``; :class:`ParameterError` naming the parameter, the
    value given and the expected form (with the papermill spelling) otherwise."""
    try:
        return _convert(value, ptype, name)
    except _Refused as exc:
        expected = ptype.describe()
        if is_seed_list(name, ptype):
            expected += ", or a count n meaning seeds [0, ..., n-1]"
        raise ParameterError(
            f"{notebook}: parameter {name} got {exc}; expected {expected} (default: {default!r}).\n"
            f"Pass it as:  {example(name, ptype, default)}") from None


__all__ = ["COMMON_TYPES", "ParamType", "ParameterError", "coerce", "example", "is_seed_list",
           "type_of_annotation", "type_of_default"]
