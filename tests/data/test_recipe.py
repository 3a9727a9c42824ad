"""data/recipe.py: the preset, resolution, channels and augmentation picked for a folder, from
file headers only, and the one line that says why."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from ganforge.data import recipe as R
from ganforge.errors import GanforgeError


def _folder(tmp_path, n: int, size=(40, 40), mode="RGB", name="imgs"):
    folder = tmp_path / name
    folder.mkdir()
    rng = np.random.default_rng(0)
    w, h = size
    channels = {"RGB": 3, "RGBA": 4, "L": 1}[mode]
    for i in range(n):
        arr = rng.integers(0, 256, (h, w, channels), dtype=np.uint8)
        Image.fromarray(arr.squeeze(), mode).save(folder / f"{i:04d}.png")
    return folder


@pytest.mark.parametrize(
    "n,policy,words",
    [(30, "diffaugment", "DiffAugment (under 1,000"), (1200, "ada", "adaptive ADA")],
)
def test_augmentation_follows_the_number_of_images(tmp_path, n, policy, words, monkeypatch):
    monkeypatch.setattr(R, "EVIDENCE", tmp_path / "none.json")  # R3GAN, the unmeasured default
    folder = _folder(tmp_path, min(n, 30))
    if n > 30:  # many files without writing them: the count comes from the listing
        real = R.walk_folder

        def many(root):
            scan = real(root)
            scan.images = scan.images * (n // len(scan.images) + 1)
            return scan

        monkeypatch.setattr(R, "walk_folder", many)
    rec = R.recipe_for_folder(folder)
    assert rec.preset == "r3gan-folder-64" and rec.overrides["augment.policy"] == policy
    assert words in rec.reason and "\n" not in rec.reason
    assert rec.overrides["description"] == rec.reason


def test_channels_follow_transparency_and_grey(tmp_path):
    assert (
        R.recipe_for_folder(_folder(tmp_path, 5, mode="RGBA", name="a")).overrides["data.channels"]
        == 4
    )
    grey = R.recipe_for_folder(_folder(tmp_path, 5, mode="L", name="g"))
    assert grey.overrides["data.channels"] == 1 and "all sampled files grey" in grey.reason
    assert R.recipe_for_folder(_folder(tmp_path, 5, name="c")).overrides["data.channels"] == 3


def test_resolution_never_upscales_and_keeps_a_shared_aspect(tmp_path):
    small = R.recipe_for_folder(_folder(tmp_path, 3, size=(40, 40), name="s"))
    assert small.overrides["data.resolution"] == 32  # 40 px images: not blown up to 64
    big = R.recipe_for_folder(_folder(tmp_path, 3, size=(300, 300), name="b"))
    assert big.overrides["data.resolution"] == 64  # the CPU-friendly cap
    wide = R.recipe_for_folder(_folder(tmp_path, 3, size=(300, 200), name="w"))  # 3:2 photos
    assert wide.overrides["data.resolution"] == [64, 96] and "64x96 px" in wide.reason


def test_nothing_usable_is_one_line(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(GanforgeError, match="is empty"):
        R.recipe_for_folder(empty)
    (empty / "notes.txt").write_text("hello")
    with pytest.raises(GanforgeError, match="has no image files"):
        R.recipe_for_folder(empty)
    (empty / "x.png").write_bytes(b"not an image")
    with pytest.raises(GanforgeError, match="none of the 1 sampled image files .* could be read"):
        R.recipe_for_folder(empty)
    with pytest.raises(GanforgeError, match="does not exist"):
        R.recipe_for_folder(tmp_path / "missing")
    with pytest.raises(GanforgeError, match="is a file"):
        R.recipe_for_folder(empty / "notes.txt")


@pytest.mark.parametrize("mode, channels", [("L", 1), ("RGB", 3), ("RGBA", 3)])
def test_source_channels_of_a_folder_from_its_headers(tmp_path, mode, channels):
    from ganforge.config import DataConfig

    folder = _folder(tmp_path, 5, mode=mode)
    got, why = R.source_channels(DataConfig(source=f"folder:{folder}"))
    assert got == channels and why


def test_source_channels_of_a_canonical_set_from_its_stored_shape():
    from ganforge.config import DataConfig

    assert R.source_channels(DataConfig(source="fashion-mnist", split="test", channels=3)) == (
        1,
        "its images are grey",
    )


def test_channels_follow_most_of_the_files_not_one(tmp_path):
    """One transparent PNG among grey digits no longer makes an RGBA model."""
    folder = _folder(tmp_path, 9, mode="L", name="digits")
    arr = np.zeros((40, 40, 4), np.uint8)
    Image.fromarray(arr, "RGBA").save(folder / "odd.png")
    rec = R.recipe_for_folder(folder)
    assert rec.overrides["data.channels"] == 1
    assert "9 of 10 grey, transparency in only 1 of 10 (composited)" in rec.reason
    for i in range(10):  # now most files are transparent
        Image.fromarray(arr, "RGBA").save(folder / f"t{i}.png")
    assert R.recipe_for_folder(folder).overrides["data.channels"] == 4


RACE = {
    "cpu": {
        "source": "benchmarks/results/folder-race-cpu.json",
        "by_size": [
            {
                "images": 300,
                "data": "colour",
                "metric": "KID at 30 min",
                "referee": "ImageNet features",
                "ranking": [["dcgan-folder-64", 50.0], ["fastgan-folder-64", 60.0]],
            },
            {"images": 3400, "ranking": [["r3gan-folder-64", 40.0], ["fastgan-folder-64", 45.0]]},
            {
                "images": 60000,
                "data": "grey",
                "metric": "FD-FMNIST at 20 min",
                "ranking": [[R.PROJECTED, 20.0], [R.FAST, 26.0]],
            },
        ],
    }
}


def test_the_model_comes_from_the_measured_race_by_device_and_size(tmp_path, monkeypatch):
    evidence = tmp_path / "evidence.json"
    monkeypatch.setattr(R, "EVIDENCE", evidence)
    cpu = R.choose_preset(500, "cpu", 3, True)
    assert cpu == (
        R.PRESET,
        "the CPU default until benchmarks/folder_race.py measures the CPU race",
    )
    gpu = R.choose_preset(500, "cuda", 4, True)
    assert gpu[0] == R.PROJECTED and "Sauer et al. 2021" in gpu[1]
    assert R.choose_preset(500, "cuda", 4, True, imagenet=False)[0] == R.PRESET
    assert R.choose_preset(5000, "cuda", 3, True)[0] == R.PRESET
    evidence.write_text(json.dumps(RACE))
    # the measured size nearest on a log scale: 500 -> 300, 2000 -> 3400
    preset, why = R.choose_preset(500, "cpu", 3, True)
    assert preset == "dcgan-folder-64" and why == (
        "best KID at 30 min in the CPU folder race at 300 colour images (50.0 vs "
        "fastgan-folder-64 60.0; referee: ImageNet features; "
        "benchmarks/results/folder-race-cpu.json)"
    )
    assert R.choose_preset(500, "cpu", 4, True)[0] == R.FAST  # DCGAN cannot make RGBA
    assert R.choose_preset(2000, "cpu", 3, True)[0] == "r3gan-folder-64"
    assert R.choose_preset(500, "cuda", 3, True)[0] == R.PROJECTED  # no GPU race: the paper
    # grey data: only the grey rows count, however far their size; without Lite0, the next
    preset, why = R.choose_preset(200, "cpu", 1, True)
    assert preset == R.PROJECTED and "at 60,000 grey images (20.0 vs fastgan-folder-64" in why
    assert R.choose_preset(200, "cpu", 1, True, imagenet=False)[0] == R.FAST
    grey_folder = _folder(tmp_path, 12, mode="L", name="digits")
    rec = R.recipe_for_folder(grey_folder, imagenet=False)
    assert rec.preset == R.FAST and rec.overrides["data.channels"] == 1
    folder = _folder(tmp_path, 30, mode="RGBA", name="sprites")
    rec = R.recipe_for_folder(folder)
    assert rec.preset == R.FAST and rec.overrides["augment.policy"] == "diffaugment"
    assert rec.reason.startswith("recipe: fastgan-folder-64 at 32 px RGBA with DiffAugment")
    assert "\n" not in rec.reason


def test_the_packaged_evidence_reads(tmp_path):
    """The committed table parses; a device it has no rows for is None (the fallback); where the
    CPU race is measured, the recipe names a preset of its ranking and the race as its reason."""
    table = json.loads(R.EVIDENCE.read_text())
    assert isinstance(table, dict)
    for device in ("cpu", "cuda"):
        entry = R.measured(device)
        assert entry is None or all(row["ranking"] for row in entry["by_size"])
    cpu = R.measured("cpu")
    if cpu is None:
        pytest.skip("no CPU race in the packaged evidence")
    ranked = {p for row in cpu["by_size"] for p, _ in row["ranking"]}
    for mode in ("RGBA", "RGB", "L"):
        for imagenet in (True, False):
            folder = _folder(tmp_path, 4, mode=mode, name=f"{mode}{imagenet}")
            rec = R.recipe_for_folder(folder, imagenet=imagenet)
            assert rec.preset in ranked and "folder race at" in rec.reason
            assert imagenet or rec.preset != R.PROJECTED
