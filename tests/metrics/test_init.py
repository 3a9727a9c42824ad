"""metrics/__init__.py: the package's public names load their modules lazily."""

import subprocess
import sys

import pytest

import ganforge.metrics as M
from ganforge.metrics import features, registry


def test_public_names_are_the_registrys_and_the_extractor_loader():
    assert M.METRICS is registry.METRICS and M.evaluate is registry.evaluate
    assert M.load_extractor is features.load_extractor
    assert set(M.__all__) == {"METRICS", "evaluate", "load_extractor"}
    with pytest.raises(AttributeError, match="has no attribute 'fid_score'"):
        M.fid_score  # noqa: B018


def test_importing_the_package_loads_no_metric_module():
    code = (
        "import sys, ganforge.metrics\n"
        "print(sorted(m for m in sys.modules if m.startswith('ganforge.metrics.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
