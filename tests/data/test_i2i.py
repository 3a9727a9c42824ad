"""Paired, unpaired and SR data readers, batched crops, the Fashion-MNIST demos and the standard
sets' offline behaviour."""

import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge.config import load_config
from ganforge.data.domains import CropPlan, apply_crops, plan_crops
from ganforge.data.i2i_demos import edge_maps
from ganforge.data.i2i_sets import PAIRED_SETS, UNPAIRED_SETS, extract_zip, locate_set
from ganforge.data.image_files import fit_square
from ganforge.data.paired import load_paired
from ganforge.data.unpaired import load_unpaired
from ganforge.errors import GanforgeError
from ganforge.tasks import load_task_data as load_i2i_data


def _rgb(h, w, value):
    return Image.fromarray(np.full((h, w, 3), value, dtype=np.uint8))


def test_side_by_side_pairs_with_rgba_16bit_and_corrupt_files(tmp_path):
    train = tmp_path / "facades" / "train"
    train.mkdir(parents=True)
    img = np.zeros((8, 16, 3), dtype=np.uint8)
    img[:, :8] = 40  # A, left
    img[:, 8:] = 200  # B, right
    Image.fromarray(img).save(train / "1.png")
    rgba = np.zeros((8, 16, 4), dtype=np.uint8)
    rgba[..., 3] = 0  # fully transparent: becomes the white background
    Image.fromarray(rgba, "RGBA").save(train / "2.png")
    deep = (np.arange(8 * 16, dtype=np.uint16).reshape(8, 16) * 0 + 65535).astype(np.uint16)
    Image.fromarray(deep).save(train / "3.png")  # 16-bit grey, white
    (train / "4.png").write_bytes(b"not an image")
    d = load_paired(tmp_path / "facades", "train", 8, 1)
    assert d.paired and d.sources.shape == d.images.shape == (3, 1, 8, 8)
    assert d.sources[0].unique().tolist() == [40] and d.images[0].unique().tolist() == [200]
    assert d.sources[1].unique().tolist() == [255] and d.images[2].unique().tolist() == [255]
    assert d.report["n_skipped"] == 1 and d.report["skipped"][0]["file"] == "train/4.png"
    assert d.report["split"] == "train" and d.report["warnings"]
    rgb = load_paired(tmp_path / "facades", "train", 4, 3)
    assert rgb.images.shape == (3, 3, 4, 4)


def test_aligned_folders_pair_by_name_and_refuse_mismatches(tmp_path):
    for side, value in (("A", 10), ("B", 90)):
        (tmp_path / side).mkdir()
        for name in ("x", "y"):
            _rgb(6, 6, value).save(tmp_path / side / f"{name}.png")
    d = load_paired(tmp_path, "train", 6, 3)
    assert len(d) == 2 and int(d.sources.max()) == 10 and int(d.images.min()) == 90
    _rgb(6, 6, 0).save(tmp_path / "A" / "z.png")
    with pytest.raises(GanforgeError, match=r"mismatched pairs.*A/z"):
        load_paired(tmp_path, "train", 6, 3)


def test_no_common_names_pair_in_sorted_order_with_a_warning(tmp_path):
    for side in ("A", "B"):
        (tmp_path / side).mkdir()
        for i in range(3):
            _rgb(4, 4, 10 * i).save(tmp_path / side / f"{i}_{side}.png")
    d = load_paired(tmp_path, "train", 4, 1)
    assert torch.equal(d.sources, d.images)
    assert any("sorted order" in w for w in d.report["warnings"])
    (tmp_path / "B" / "2_B.png").unlink()
    with pytest.raises(GanforgeError, match="A has 3 images and B has 2"):
        load_paired(tmp_path, "train", 4, 1)


def test_unpaired_domains_and_their_errors(tmp_path):
    for d, n in (("trainA", 3), ("trainB", 5)):
        (tmp_path / d).mkdir()
        for i in range(n):
            _rgb(10, 14, 50).save(tmp_path / d / f"{i}.jpg")
    data = load_unpaired(tmp_path, "train", 8, 3)
    assert not data.paired and data.sources.shape[0] == 3 and data.images.shape[0] == 5
    assert len(data) == 3
    with pytest.raises(GanforgeError, match="no testA/ and testB/"):
        load_unpaired(tmp_path, "test", 8, 3)
    for f in (tmp_path / "trainB").iterdir():
        f.unlink()
    with pytest.raises(GanforgeError, match=r"trainB has no image files"):
        load_unpaired(tmp_path, "train", 8, 3)


def test_pad_keeps_a_wide_image_whole_and_crop_cuts_it():
    img = _rgb(10, 40, 0)  # black, 4:1
    padded = fit_square(img, 8, "pad", (255, 255, 255))
    assert padded[:, 0].min() == 255 and padded[:, 4].max() == 0  # white bands above and below
    cropped = fit_square(img, 8, "crop", (255, 255, 255))
    assert cropped.max() == 0
    grey = fit_square(img.convert("L"), 8, "pad", (255, 0, 0))
    assert grey.shape == (1, 8, 8) and grey[0, 0, 0] == 76  # red's luma


def test_batched_crops_equal_slicing_and_flip_mirrors():
    x = torch.arange(2 * 1 * 6 * 6, dtype=torch.uint8).view(2, 1, 6, 6)
    plan = CropPlan(torch.tensor([0, 2]), torch.tensor([1, 0]), torch.tensor([False, True]))
    out = apply_crops(x, plan, 4)
    assert torch.equal(out[0], x[0, :, 0:4, 1:5])
    assert torch.equal(out[1], x[1, :, 2:6, 0:4].flip(-1))
    gen = torch.Generator().manual_seed(0)
    p = plan_crops(100, 6, 4, True, gen, torch.device("cpu"))
    assert p.top.max() <= 2 and p.left.min() >= 0 and 20 < int(p.flip.sum()) < 80


def test_edge_maps_are_black_lines_on_white():
    items = torch.zeros(2, 1, 16, 16, dtype=torch.uint8)
    items[:, :, 4:12, 4:12] = 200
    e = edge_maps(items)
    assert set(e.unique().tolist()) == {0, 255}
    assert e[0, 0, 0, 0] == 255 and e[0, 0, 8, 8] == 255 and e[0, 0, 4, 8] == 0


def test_fashion_demos_and_direction(tmp_path):
    over = {"data.split": "test", "data.max_images": 400}
    d = load_i2i_data(load_config("pix2pix-edges2fashion", over))
    assert d.paired and d.sources.shape == d.images.shape == (400, 1, 32, 32)
    flipped = load_i2i_data(load_config("pix2pix-edges2fashion", {**over, "i2i.direction": "BtoA"}))
    assert torch.equal(flipped.sources, d.images) and flipped.report["direction"] == "BtoA"
    c = load_i2i_data(load_config("cyclegan-fashion", over))
    assert not c.paired and c.report["n_a"] > 20 and c.report["n_b"] > 20
    with pytest.raises(GanforgeError, match="reads paired data.*a plain folder has no pairs"):
        load_i2i_data(load_config("pix2pix-edges2fashion", {"data.source": f"folder:{tmp_path}"}))


def test_standard_sets_fail_offline_naming_the_file(tmp_path):
    with pytest.raises(
        GanforgeError,
        match=r"download http://\S+/pix2pix/datasets/facades\.tar\.gz and save it as \S+facades\.tar\.gz",
    ):
        locate_set(PAIRED_SETS["facades"], tmp_path, allow_download=True)
    with pytest.raises(GanforgeError, match=r"horse2zebra\.zip is not in .*downloads are off"):
        locate_set(UNPAIRED_SETS["horse2zebra"], tmp_path, allow_download=False)
    assert list(tmp_path.iterdir()) == []  # a failed look-up leaves the cache untouched
    # An archive put there by hand (pix2pix publishes no checksum) is extracted, with a note.
    import tarfile

    src = tmp_path / "src" / "facades" / "train"
    src.mkdir(parents=True)
    _rgb(4, 8, 9).save(src / "1.png")
    (tmp_path / "i2i").mkdir(exist_ok=True)
    with tarfile.open(tmp_path / "i2i" / "facades.tar.gz", "w:gz") as t:
        t.add(tmp_path / "src" / "facades", arcname="facades")
    folder, notes = locate_set(PAIRED_SETS["facades"], tmp_path, allow_download=False)
    assert (folder / "train" / "1.png").is_file() and "without verification" in notes[0]


def test_extract_zip_refuses_paths_outside(tmp_path):
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("set/trainA/ok.png", b"x")
        z.writestr("set/../../evil.txt", b"x")
    with pytest.raises(GanforgeError, match="unsafe path"):
        extract_zip(bad, "set", tmp_path / "set")
    assert not (tmp_path / "set").exists() and not (tmp_path.parent / "evil.txt").exists()


# --------------------------------------------------------------------------- super-resolution


def _sr_config(folder, **over):
    base = {
        "data.source": f"folder:{folder}",
        "data.resolution": 16,
        "i2i.load_size": 32,
        "i2i.content_loss": "l1",
    }
    return load_config("srgan-x4", {**base, **over})


def test_sr_native_tiles_keep_the_photos_resolution(tmp_path, monkeypatch):
    import ganforge.data.sr as S

    rng = np.random.default_rng(0)
    big = rng.integers(0, 256, (70, 100, 3), dtype=np.uint8)  # a grid of 2 x 3 tiles of 32 px
    Image.fromarray(big).save(tmp_path / "big.png")
    _rgb(20, 40, 7).save(tmp_path / "small.png")  # shorter than a tile: skipped, counted
    (tmp_path / "broken.png").write_bytes(b"not a png")
    d = load_i2i_data(_sr_config(tmp_path))
    assert d.images.shape == (6, 3, 32, 32)
    top, left = (70 - 64) // 2, (100 - 96) // 2  # the grid is centred
    first = big[top : top + 32, left : left + 32].transpose(2, 0, 1)
    assert np.array_equal(d.images[0].numpy(), first)  # no resampling: native pixels
    r = d.report
    assert (r["sr_crops"], r["n_photos"], r["n_too_small"], r["n_skipped"]) == ("native", 1, 1, 1)
    assert any("smaller than the 32 px tiles" in w for w in r["warnings"])
    monkeypatch.setattr(S, "TILES_PER_IMAGE", 4)  # at most 4, spread over the grid
    assert len(load_i2i_data(_sr_config(tmp_path)).images) == 4
    with pytest.raises(GanforgeError, match="all 2 readable .* the 200 px tiles.*sr_crops=resize"):
        load_i2i_data(_sr_config(tmp_path, **{"i2i.load_size": 200}))


def test_sr_resize_warns_when_photos_are_much_larger(tmp_path):
    _rgb(80, 120, 50).save(tmp_path / "a.png")
    d = load_i2i_data(_sr_config(tmp_path, **{"i2i.sr_crops": "resize"}))
    assert d.images.shape == (1, 3, 32, 32) and d.report["sr_crops"] == "resize"
    assert any("~80 px and are scaled down" in w for w in d.report["warnings"])
    fashion = load_config("srgan-fashion-x4", {"data.split": "test", "data.max_images": 10})
    assert load_i2i_data(fashion).report["sr_crops"] == "resize (data set)"
