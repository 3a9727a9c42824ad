"""Building a Config: from YAML presets, config files and nested dicts, with dotted ``--set``
overrides; and the ``--help-config`` table from the fields' docstrings.

Unknown keys are refused with a suggestion; values are coerced only where YAML needs it (``2e6``
for an integer) and then checked by the sections' ``__post_init__``. Files are untrusted input:
every problem is a one-line GanforgeError.
"""

from __future__ import annotations

import ast
import copy
import dataclasses
import difflib
import inspect
import types
import typing
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ganforge.config.config import SECTIONS, Config
from ganforge.errors import GanforgeError

MAX_CONFIG_BYTES = 1 << 20
"""Largest preset or config file read (a config is a few KB; this bounds a hostile file)."""


# --------------------------------------------------------------------------- building from dicts


def _coerce(value: Any, tp: Any, key: str) -> Any:
    """Check ``value`` against the annotation ``tp``; allow the lossless conversions YAML needs."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        # int | list[int]: a list takes the list branch; anything else the first. float | None:
        # null (YAML's None) is None.
        options = typing.get_args(tp)
        if value is None and type(None) in options:
            return None
        options = tuple(t for t in options if t is not type(None))
        listed = [t for t in options if typing.get_origin(t) is list]
        if isinstance(value, (list, tuple)) and listed:
            return _coerce(value, listed[0], key)
        return _coerce(value, options[0], key)
    if origin is list:
        if isinstance(value, tuple):
            value = list(value)
        if not isinstance(value, list):
            raise GanforgeError(f"{key} must be a list, got {value!r}")
        (inner,) = typing.get_args(tp)
        return [_coerce(v, inner, f"{key}[{i}]") for i, v in enumerate(value)]
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise GanforgeError(f"{key} must be true or false, got {value!r}")
    if tp is int:
        # 2e6 arrives from YAML as a float or even a string; accept it when it is a whole number.
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise GanforgeError(f"{key} must be an integer, got {value!r}") from None
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise GanforgeError(f"{key} must be an integer, got {value!r}")
    if tp is float:
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                raise GanforgeError(f"{key} must be a number, got {value!r}") from None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise GanforgeError(f"{key} must be a number, got {value!r}")
    if tp is str:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, dict) and len(value) == 1 and None in value.values():
            # YAML reads "folder:" (a scheme with its path left out) as {"folder": None}: it is
            # the text "folder:", which the data layer then refuses for its missing path.
            return f"{next(iter(value))}:"
        raise GanforgeError(f"{key} must be a string, got {value!r}")
    raise TypeError(f"unsupported config type {tp} for {key}")


def _fields(cls: type) -> dict[str, Any]:
    """Settable fields of ``cls`` -> their types; the root Config adds the plug-in sections."""
    hints = typing.get_type_hints(cls)
    names = {f.name: hints[f.name] for f in dataclasses.fields(cls)}
    if cls is Config:
        names.pop("extra")  # plug-in sections are written as top-level keys, never as "extra"
        names.update(SECTIONS)
    return names


def from_dict(cls: type, data: dict[str, Any], prefix: str = "") -> Any:
    """Build dataclass ``cls`` from a nested dict, rejecting unknown keys with a suggestion."""
    if not isinstance(data, dict):
        if not prefix:
            raise GanforgeError(f"a config must be a mapping of sections, got {data!r:.80}")
        section = prefix.rstrip(".")
        first = dataclasses.fields(cls)[0].name
        raise GanforgeError(
            f"{section} is a section and must be a mapping, got {data!r:.80}: "
            f"set its keys instead, e.g. {section}.{first}=..."
        )
    fields = _fields(cls)
    kwargs: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in data.items():
        full = f"{prefix}{key}"
        if key not in fields:
            hint = difflib.get_close_matches(str(key), list(fields), n=1)
            more = f"; did you mean '{prefix}{hint[0]}'?" if hint else ""
            if not hint and cls is Config and isinstance(value, dict):
                more = (
                    " (a plug-in task's section? import its module first: "
                    "ganforge --plugin MODULE ...)"
                )
            raise GanforgeError(f"unknown config key {full!r:.80}{more}")
        tp = fields[key]
        if dataclasses.is_dataclass(tp):
            built = from_dict(tp, value, f"{full}.")
            (extra if cls is Config and key in SECTIONS else kwargs)[key] = built
        else:
            kwargs[key] = _coerce(value, tp, full)
    if extra:
        kwargs["extra"] = extra
    return cls(**kwargs)


def _check_key(dotted: str) -> None:
    """``dotted`` must name a field of Config (a value or a whole section), e.g. ``train.images``."""
    cls: Any = Config
    parts = dotted.split(".")
    for i, part in enumerate(parts):
        fields = _fields(cls)
        full = ".".join(parts[: i + 1])
        if part not in fields:
            parent = full[: -len(part)]
            hint = difflib.get_close_matches(part, list(fields), n=1)
            more = f"; did you mean '{parent}{hint[0]}'?" if hint else ""
            raise GanforgeError(f"unknown config key {full!r:.80}{more}")
        cls = fields[part]
        if i < len(parts) - 1 and not dataclasses.is_dataclass(cls):
            raise GanforgeError(
                f"cannot set {dotted!r:.80}: {full} is a value, not a section (set {full}=...)"
            )


def parse_override(text: str) -> tuple[str, Any]:
    """``"train.images=2e6"`` -> ``("train.images", 2000000.0)``; the value is read as YAML."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key or "" in key.split("."):
        raise GanforgeError(
            f"--set {text!r} must look like section.key=value, e.g. train.images=2e6"
        )
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return key, value


def apply_overrides(
    tree: dict[str, Any], overrides: Mapping[str, Any] | Iterable[str] | None
) -> dict[str, Any]:
    """A copy of the raw config ``tree`` with dotted overrides set; ``tree`` is left as it was.

    ``overrides`` is either ``--set`` strings (``["train.images=2e6"]``, values read as YAML) or a
    mapping of dotted keys to values (``{"train.images": 2e6}``). Every key is checked against
    Config first (unknown key, or a value used as a section: one-line GanforgeError); the values
    are checked when the tree becomes a Config (:func:`config_from_dict`).
    """
    if not isinstance(tree, dict):
        raise GanforgeError(f"a config must be a mapping of sections, got {tree!r}")
    tree = copy.deepcopy(tree)
    if overrides is None:
        items: Iterable[tuple[str, Any]] = ()
    elif isinstance(overrides, Mapping):
        items = overrides.items()
    elif isinstance(overrides, str):
        items = [parse_override(overrides)]  # one string, not its characters
    else:
        items = map(parse_override, overrides)
    for key, value in items:
        if not isinstance(key, str) or not key or "" in key.split("."):
            raise GanforgeError(f"config override key {key!r} must look like section.key")
        _check_key(key)
        *sections, last = key.split(".")
        node = tree
        for depth, part in enumerate(sections):
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            elif not isinstance(child, dict):
                where = ".".join(sections[: depth + 1])
                raise GanforgeError(
                    f"cannot set {key!r}: {where} in the config is {child!r}, not a mapping"
                )
            node = child
        node[last] = value
    return tree


# --------------------------------------------------------------------------- presets


def preset_names() -> list[str]:
    folder = resources.files("ganforge") / "presets"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def _read_yaml(path: Path | Any, what: str, fix: str) -> dict[str, Any]:
    """A YAML mapping from a file (a Path or a package resource), bounded and checked."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise GanforgeError(f"cannot read {what} ({e.strerror or e}){fix}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise GanforgeError(
            f"{what} is {len(raw):,} bytes, more than a config can be ({MAX_CONFIG_BYTES:,}){fix}"
        )
    try:
        tree = yaml.safe_load(raw.decode("utf-8")) or {}
    except UnicodeDecodeError:
        raise GanforgeError(f"{what} is not UTF-8 text{fix}") from None
    except (yaml.YAMLError, RecursionError) as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise GanforgeError(f"{what} is not valid YAML ({first}){fix}") from None
    if not isinstance(tree, dict):
        raise GanforgeError(f"{what} must be a YAML mapping of sections{fix}")
    return tree


def preset_dict(name: str) -> dict[str, Any]:
    """The raw tree of a preset (by name) or of a YAML config file (a path ending in .yaml)."""
    if name.endswith((".yaml", ".yml")):
        path = Path(name)
        if not path.is_file():
            raise GanforgeError(f"config file {name} does not exist")
        return _read_yaml(path, f"config file {name}", "")
    names = preset_names()
    if name not in names:
        hint = difflib.get_close_matches(name, names, n=1)
        extra = f"; did you mean {hint[0]!r}?" if hint else ""
        raise GanforgeError(
            f"unknown preset {name!r:.80}{extra} (run `ganforge presets` to list them)"
        )
    return _read_yaml(resources.files("ganforge") / "presets" / f"{name}.yaml", name, "")


def load_config(
    preset: str = "dcgan-fashion-mnist",
    overrides: Mapping[str, Any] | Iterable[str] | None = None,
) -> Config:
    """A preset name (or a YAML path) plus dotted overrides -> validated Config."""
    return from_dict(Config, apply_overrides(preset_dict(preset), overrides))


def load_run_config(
    run_dir: str | Path, overrides: Mapping[str, Any] | Iterable[str] | None = None
) -> Config:
    """The config a run folder was trained with (its ``config.yaml``), plus dotted overrides.

    What ``ganforge train --resume RUN --set ...`` trains with, and what its ``--dry-run`` prints.
    """
    cfg_file = Path(run_dir) / "config.yaml"
    if not cfg_file.is_file():
        raise GanforgeError(f"{run_dir} is not a ganforge run folder (no config.yaml)")
    tree = _read_yaml(cfg_file, str(cfg_file), ": restore the run's config")
    return from_dict(Config, apply_overrides(tree, overrides))


def config_from_dict(tree: dict[str, Any]) -> Config:
    return from_dict(Config, tree)


def field_docs(cls: type = Config, prefix: str = "") -> list[tuple[str, str, str]]:
    """(dotted key, default, docstring) for every field: the `--help-config` table."""
    docs: dict[str, str] = {}
    tree = ast.parse(inspect.getsource(cls))
    body = tree.body[0].body  # type: ignore[attr-defined]
    for a, b in zip(body, body[1:]):
        if (
            isinstance(a, ast.AnnAssign)
            and isinstance(b, ast.Expr)
            and isinstance(b.value, ast.Constant)
        ):
            docs[a.target.id] = " ".join(str(b.value.value).split())  # type: ignore[union-attr]
    rows: list[tuple[str, str, str]] = []
    default = cls()
    for name, tp in _fields(cls).items():
        if dataclasses.is_dataclass(tp):
            rows += field_docs(tp, f"{prefix}{name}.")
        else:
            rows.append((f"{prefix}{name}", repr(getattr(default, name)), docs.get(name, "")))
    return rows
