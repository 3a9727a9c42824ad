"""Tests mirror the package: the tests of a module are found by its path (STYLE.md, point 10).

The rule, checked both ways:

1. Every module of ``src/ganforge`` with logic, i.e. whose top level defines a function or a class
   (an ``ast`` FunctionDef, AsyncFunctionDef or ClassDef; constants, re-exports and docstrings do
   not count), has a test file at its mirrored path:

       src/ganforge/a/b.py           ->  tests/a/test_b.py
       src/ganforge/b.py             ->  tests/test_b.py
       src/ganforge/a/__init__.py    ->  tests/a/test_init.py   (src/ganforge/__init__.py: tests/test_init.py)

   unless it is listed in ``EXEMPT`` with the reason. A module without logic (``__main__.py``, a
   package ``__init__.py`` that only re-exports) needs no test file of its own.
2. Every ``test_*.py`` under ``tests/`` mirrors an existing module (with logic or not) by that
   rule, or is listed in ``CROSS_CUTTING`` (tests of several modules at once); every other ``.py``
   file under ``tests/`` is a ``conftest.py`` or listed in ``SUPPORT``. A test file left behind by
   a renamed or deleted module is then visible.
3. The three lists name only files that exist (and ``EXEMPT`` only modules that still need it), so
   they cannot go stale either.

Each check lists everything it finds at once, so one run shows the whole to-do list.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
SRC = TESTS.parent / "src" / "ganforge"

EXEMPT: dict[str, str] = {}
"""Modules with logic but no mirrored test file (path under src/ganforge): the reason, one line."""

CROSS_CUTTING: dict[str, str] = {
    "test_layout.py": "this file: the layout of tests/ itself",
    "test_presets.py": "every YAML preset trains a few steps (presets/*.yaml are not modules)",
    "tasks/test_plugin.py": "a plug-in task defined outside ganforge, through CLI, resume, "
    "sample, export, eval and report",
    "train/test_cuda.py": "the GPU paths of trainer, compiled and cuda_graph (skipped on CPU)",
    "test_fuzz.py": "generated configs, command lines, checkpoint metadata and a hostile image "
    "folder against the one-line contract (docs/reliability.md)",
    "train/test_faults.py": "a full disk, a read-only file system and kill -9 on real runs "
    "(trainer, run_folder, checkpoint, atomic)",
    "docs/test_tutorial.py": "docs/tutorial.ipynb executed on tiny budgets through the Python "
    "API (train, load_run, sample, sheet, interpolate, arithmetic)",
}
"""Test files that test several modules together (path under tests/): what they cover."""

SUPPORT: dict[str, str] = {
    "helpers.py": "plain helpers shared by tests (random_images, tiny_overrides, toy_trainer)",
    "tiny_runs.py": "session fixtures: tiny trained DCGAN / cGAN / toy runs",
    "tiny_i2i.py": "tiny trained pix2pix / CycleGAN / SRGAN runs",
    "tiny_inpaint.py": "a tiny trained inpainting run",
    "tiny_demo.py": "tiny built (untrained) models of every kind the web demo serves",
    "tiny_text2image.py": "a tiny trained text-to-image run and captioned folders",
    "runtime/ddp_jobs.py": "the jobs tests/runtime/test_distributed.py runs under torchrun",
    "fixtures/make_legacy_runs.py": "writes tests/fixtures/legacy/ (run once, by hand)",
}
"""Python files under tests/ that are not test files (conftest.py files need no entry)."""

# The files under tests/ that are not checked: data and caches, not code.
IGNORED_DIRS = {"__pycache__", "legacy"}


def has_logic(path: Path) -> bool:
    """Whether the module's top level defines a function or a class."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return any(isinstance(node, kinds) for node in tree.body)


def mirror(module: str) -> str:
    """src/ganforge-relative module path -> tests-relative path of its test file."""
    path = Path(module)
    stem = "init" if path.name == "__init__.py" else path.stem
    return (path.parent / f"test_{stem}.py").as_posix()


def modules() -> list[str]:
    """Every module of src/ganforge, as a path relative to it."""
    return sorted(
        p.relative_to(SRC).as_posix()
        for p in SRC.rglob("*.py")
        if not IGNORED_DIRS & set(p.relative_to(SRC).parts)
    )


def files_under_tests() -> list[str]:
    """Every .py file under tests/, as a path relative to it."""
    return sorted(
        p.relative_to(TESTS).as_posix()
        for p in TESTS.rglob("*.py")
        if not IGNORED_DIRS & set(p.relative_to(TESTS).parts)
    )


def test_mirror_rule():
    assert mirror("train/ema.py") == "train/test_ema.py"
    assert mirror("cli.py") == "test_cli.py"
    assert mirror("data/__init__.py") == "data/test_init.py"
    assert mirror("__init__.py") == "test_init.py"
    assert mirror("tasks/i2i/base.py") == "tasks/i2i/test_base.py"


def test_every_module_with_logic_has_its_mirrored_test_file():
    present = set(files_under_tests())
    missing = [
        f"src/ganforge/{m} -> tests/{mirror(m)}"
        for m in modules()
        if m not in EXEMPT and mirror(m) not in present and has_logic(SRC / m)
    ]
    assert not missing, (
        f"{len(missing)} module(s) with logic have no mirrored test file (write it, move the "
        "module's tests there, or add an EXEMPT entry with the reason):\n  " + "\n  ".join(missing)
    )


def test_every_test_file_mirrors_a_module_or_is_listed():
    mirrored = {mirror(m) for m in modules()}
    stray = []
    for f in files_under_tests():
        name = Path(f).name
        if name == "conftest.py" or f in SUPPORT:
            continue
        if name.startswith("test_"):
            if f not in mirrored and f not in CROSS_CUTTING:
                stray.append(f"tests/{f}: no module src/ganforge/{_module_of(f)}")
        else:
            stray.append(f"tests/{f}: neither a test file nor a conftest.py; list it in SUPPORT")
    assert not stray, (
        f"{len(stray)} file(s) under tests/ mirror no module (move their tests to the file of "
        "the module they test, or list them in CROSS_CUTTING / SUPPORT):\n  " + "\n  ".join(stray)
    )


def test_the_lists_name_only_what_exists():
    present, src = set(files_under_tests()), set(modules())
    stale = [f"CROSS_CUTTING: tests/{f}" for f in CROSS_CUTTING if f not in present]
    stale += [f"SUPPORT: tests/{f}" for f in SUPPORT if f not in present]
    for m in EXEMPT:
        if m not in src:
            stale.append(f"EXEMPT: src/ganforge/{m} does not exist")
        elif mirror(m) in present:
            stale.append(f"EXEMPT: src/ganforge/{m} has tests/{mirror(m)} now: drop the entry")
        elif not has_logic(SRC / m):
            stale.append(f"EXEMPT: src/ganforge/{m} has no logic: drop the entry")
    stale += [
        f"CROSS_CUTTING: tests/{f} mirrors a module"
        for f in CROSS_CUTTING
        if f in {mirror(m) for m in src}
    ]
    assert not stale, "stale entries in tests/test_layout.py:\n  " + "\n  ".join(stale)
    reasons = (*EXEMPT.values(), *CROSS_CUTTING.values(), *SUPPORT.values())
    assert all(reason.strip() and "\n" not in reason for reason in reasons)


def _module_of(test_file: str) -> str:
    path = Path(test_file)
    stem = path.stem.removeprefix("test_")
    return (path.parent / ("__init__.py" if stem == "init" else f"{stem}.py")).as_posix()
