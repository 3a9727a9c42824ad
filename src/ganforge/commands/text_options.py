"""Captions on the command line, for the commands that use a run's ``text`` use.

    ganforge sample RUN --text "a dark long-sleeved shirt" --n 16 --grid shirts.png
    ganforge sample RUN --text-file captions.txt --out samples/
    ganforge interpolate RUN --from-text "a sandal" --to-text "an ankle boot" --out walk.png

A run without the ``text`` use is refused in one line naming its uses. Captions are checked by the
model (``TextGenerator.encode_text``): an empty one or one over its character limit is refused;
words beyond the tokenizer's length are cut and words it lacks read as unknown, each said once.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ganforge.commands.generator_options import note
from ganforge.errors import GanforgeError

MAX_TEXT_FILE_BYTES = 2**20
MAX_TEXT_LINES = 100_000


def add_text_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--text", help="a caption (text-to-image runs): every sample follows it")
    p.add_argument(
        "--text-file",
        help="captions, one a line (text-to-image runs): sample i follows caption i (cycling)",
    )


def read_text_file(path: str) -> list[str]:
    """The non-blank lines of a UTF-8 file, bounded in size and count."""
    p = Path(path).expanduser()
    try:
        if p.stat().st_size > MAX_TEXT_FILE_BYTES:
            raise GanforgeError(f"--text-file {path} is larger than {MAX_TEXT_FILE_BYTES} bytes")
        text = p.read_bytes().decode("utf-8-sig")
    except OSError as e:
        raise GanforgeError(f"cannot read --text-file {path}: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise GanforgeError(f"--text-file {path} is not UTF-8 text") from None
    lines = [" ".join(line.split()) for line in text.splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        raise GanforgeError(f"--text-file {path} holds no caption: one caption a line")
    if len(lines) > MAX_TEXT_LINES:
        raise GanforgeError(
            f"--text-file {path} has {len(lines)} captions; at most {MAX_TEXT_LINES}"
        )
    return lines


def captions_of(args: argparse.Namespace) -> list[str] | None:
    """The captions asked for (--text or --text-file), or None."""
    text, path = getattr(args, "text", None), getattr(args, "text_file", None)
    if text is not None and path:
        raise GanforgeError("give --text or --text-file, not both")
    if text is not None:
        if not text.strip():
            raise GanforgeError("--text is empty: give a caption, e.g. --text 'a dark coat'")
        return [text]
    return read_text_file(path) if path else None


def text_model(run: Any, command: str) -> Any:
    """The run's model for its ``text`` use (one-line error naming its uses otherwise)."""
    return run.require("text", command=f"`ganforge {command} --text`")


def encode(model: Any, captions: list[str]) -> Any:
    """Token ids (N, L) of ``captions``; the tokenizer's losses said once on stderr."""
    ids, notes = model.encode_text(captions)
    for line in notes:
        note(line)
    return ids
