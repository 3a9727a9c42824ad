"""data/schemes.py: what data.source can name, the kinds of record each gives, and plug-in
schemes."""

import pytest
import torch

from ganforge.config import DataConfig
from ganforge.data import SCHEMES, load_data, register_scheme
from ganforge.data.dataset import ImageData
from ganforge.data.schemes import KINDS, resolve
from ganforge.errors import GanforgeError


def test_the_built_in_schemes_and_their_kinds():
    expected = {
        "fashion-mnist": ("images",),
        "cifar10": ("images",),
        "folder": ("images",),
        "toy-ring": ("points",),
        "paired": ("pairs",),
        "unpaired": ("unpaired",),
        "edges2fashion": ("pairs",),
        "sneakers2boots": ("unpaired",),
        "horse2zebra": ("unpaired",),
        "edges2shoes": ("pairs",),
        "facades": ("pairs", "unpaired"),
        "maps": ("pairs", "unpaired"),  # both a pix2pix and a CycleGAN set
    }
    for name, kinds in expected.items():
        assert SCHEMES[name].kinds == kinds, name
    assert all(set(s.kinds) <= set(KINDS) for s in SCHEMES.values())
    builtin = [s for n, s in SCHEMES.items() if SCHEMES.owner(n).startswith("ganforge.")]
    assert [s.spelling for s in builtin if s.takes_argument] == [
        "folder:PATH",
        "captioned:PATH",
        "paired:PATH",
        "unpaired:PATH",
    ]


def test_resolve_splits_the_argument_and_says_what_is_missing():
    assert resolve("folder:/x/y")[1] == "/x/y" and resolve(" fashion-mnist ")[1] == ""
    assert resolve("folder: a b ")[0].name == "folder"
    for bad in ("folder:", "folder: ", "folder"):
        with pytest.raises(GanforgeError, match="^data.source=folder:? needs a path"):
            resolve(bad)
    with pytest.raises(GanforgeError, match="did you mean 'fashion-mnist'") as e:
        resolve("fashion-mnsit")
    assert "folder:PATH" in str(e.value) and "\n" not in str(e.value)


def test_a_task_gets_only_the_kinds_it_reads():
    with pytest.raises(GanforgeError) as e:
        load_data(DataConfig(source="edges2fashion"), task="gan")
    assert str(e.value).startswith(
        "data.source=edges2fashion gives pairs data; model.task=gan reads images or points data"
    )
    with pytest.raises(GanforgeError, match="gives points data; this task reads images data"):
        load_data(DataConfig(source="toy-ring"), kinds=("images",))


def test_a_plug_in_scheme_reads_with_its_argument_options_and_kind(tmp_path):
    seen = []

    def read(argument, cfg, seed, options):
        seen.append((argument, seed, dict(options)))
        images = torch.full((5, 1, 8, 8), 7, dtype=torch.uint8)
        return ImageData(images, None, 0, "mine", ids=[f"m{i}" for i in range(5)])

    with SCHEMES.restored():
        register_scheme("mine", read, takes_argument=True, doc="mine:PATH, my format")
        data = load_data(DataConfig(source="mine:/here", resolution=4, max_images=3), seed=9)
        assert seen == [("/here", 9, {"kind": "images"})]
        assert data.images.shape == (3, 1, 4, 4) and data.ids == ["m0", "m1", "m2"]
        assert data.report["scheme"] == "mine" and data.report["n_images"] == 3
        with pytest.raises(GanforgeError, match="already registered"):
            register_scheme("folder", read)
        with pytest.raises(ValueError, match="kind 'video'"):
            register_scheme("vids", read, kind="video")
        with pytest.raises(ValueError, match="without ':'"):
            register_scheme("a:b", read)
    assert "mine" not in SCHEMES
