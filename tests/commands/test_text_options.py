"""commands/text_options.py: --text and --text-file read and checked before any model runs."""

import argparse

import pytest

from ganforge.commands.text_options import captions_of, read_text_file
from ganforge.errors import GanforgeError


def _args(**kw):
    return argparse.Namespace(**{"text": None, "text_file": None, **kw})


def test_text_and_text_file(tmp_path):
    assert captions_of(_args()) is None
    assert captions_of(_args(text="a coat")) == ["a coat"]
    f = tmp_path / "c.txt"
    f.write_text("\ufeffa  sandal\n\n  an ankle boot \n", encoding="utf-8")
    assert read_text_file(str(f)) == ["a sandal", "an ankle boot"]
    with pytest.raises(GanforgeError, match="not both"):
        captions_of(_args(text="x", text_file=str(f)))
    with pytest.raises(GanforgeError, match="empty"):
        captions_of(_args(text="  "))
    (tmp_path / "e.txt").write_text("\n \n")
    with pytest.raises(GanforgeError, match="no caption"):
        read_text_file(str(tmp_path / "e.txt"))
    (tmp_path / "b.txt").write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(GanforgeError, match="UTF-8"):
        read_text_file(str(tmp_path / "b.txt"))
    with pytest.raises(GanforgeError, match="cannot read"):
        read_text_file(str(tmp_path / "missing.txt"))
