"""commands/presets.py: `ganforge presets` lists every preset with its description, no torch."""

import subprocess
import sys

from ganforge.cli import main
from ganforge.config import preset_names


def test_presets_lists_every_preset_with_a_description(capsys):
    assert main(["presets"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [ln.split()[0] for ln in lines] == preset_names()
    assert all(len(ln.split(None, 1)) == 2 for ln in lines)


def test_listing_presets_imports_no_torch():
    code = "import sys; from ganforge.cli import main; main(['presets']); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"
