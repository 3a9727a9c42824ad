"""masks/files.py: users' mask files in every mode, the 50 % threshold, alpha, and the refusals."""

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge.errors import GanforgeError
from ganforge.masks.files import check_mask, read_mask

H, W = 6, 8


def _pattern() -> np.ndarray:
    """True where missing: the left half of the top three rows."""
    m = np.zeros((H, W), dtype=bool)
    m[:3, :4] = True
    return m


def _save(tmp_path, img: Image.Image, name: str = "mask.png") -> str:
    path = tmp_path / name
    img.save(path)
    return str(path)


def _grey(value_missing: int, value_known: int, dtype=np.uint8) -> np.ndarray:
    return np.where(_pattern(), value_missing, value_known).astype(dtype)


@pytest.mark.parametrize(
    "make",
    [
        lambda: Image.fromarray(_pattern()),  # mode "1"
        lambda: Image.fromarray(_grey(255, 0), "L"),
        lambda: Image.fromarray(_grey(200, 60), "L").convert("P"),
        lambda: Image.fromarray(np.repeat(_grey(255, 0)[..., None], 3, 2), "RGB"),
        lambda: Image.fromarray(_grey(65535, 0, np.uint16)).convert("I;16"),
        lambda: Image.fromarray(np.stack([_grey(255, 0), np.full((H, W), 255, np.uint8)], 2), "LA"),
        lambda: Image.fromarray(
            np.concatenate(
                [np.repeat(_grey(255, 0)[..., None], 3, 2), np.full((H, W, 1), 255)], 2
            ).astype(np.uint8),
            "RGBA",
        ),
    ],
    ids=["1", "L", "P", "RGB", "I;16", "LA", "RGBA"],
)
def test_every_mode_reads_white_as_missing(tmp_path, make):
    img = make()
    mask = read_mask(_save(tmp_path, img), (H, W))
    assert mask.shape == (1, H, W) and mask.dtype == torch.float32
    assert torch.equal(mask[0].bool(), torch.from_numpy(_pattern())), img.mode


def test_grey_is_thresholded_at_half_the_range(tmp_path):
    row = np.array([[0, 127, 128, 255, 64, 191, 100, 200]], dtype=np.uint8).repeat(2, 0)
    mask = read_mask(_save(tmp_path, Image.fromarray(row, "L")))
    assert mask[0, 0].tolist() == [0, 0, 1, 1, 0, 1, 0, 1]


def test_sixteen_bit_threshold_is_half_of_65535(tmp_path):
    row = np.array([[0, 32767, 32768, 65535]], dtype=np.uint16).repeat(2, 0)
    img = Image.fromarray(row).convert("I;16")
    assert img.mode == "I;16"
    mask = read_mask(_save(tmp_path, img))
    assert mask[0, 0].tolist() == [0, 0, 1, 1]


def test_transparent_pixels_are_known_whatever_colour_they_hide(tmp_path):
    # White everywhere; alpha 255 (opaque), 128 (half), 127, and 0 (transparent).
    a = np.array([[255, 128, 127, 0]], dtype=np.uint8).repeat(2, 0)
    rgba = np.concatenate([np.full((2, 4, 3), 255, np.uint8), a[..., None]], 2)
    mask = read_mask(_save(tmp_path, Image.fromarray(rgba, "RGBA")))
    assert mask[0, 0].tolist() == [1, 1, 0, 0]


def test_exif_orientation_is_applied_like_the_images(tmp_path):
    img = Image.fromarray(_grey(255, 0), "L")  # 8 x 6 (W x H)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise on display
    path = tmp_path / "rotated.jpg"
    img.save(path, exif=exif, quality=100)
    mask = read_mask(str(path), (W, H))  # displayed as 6 wide, 8 high
    assert mask.shape == (1, W, H)


def test_wrong_size_is_one_line_naming_the_file(tmp_path):
    path = _save(tmp_path, Image.fromarray(_grey(255, 0), "L"), "m.png")
    with pytest.raises(
        GanforgeError, match=r"mask .*m.png is 8x6 pixels but its image is 9x6"
    ) as e:
        read_mask(path, (6, 9))
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("value,what", [(0, "all black"), (255, "all white")])
def test_all_black_and_all_white_are_refused(tmp_path, value, what):
    path = _save(tmp_path, Image.new("L", (W, H), value), "flat.png")
    with pytest.raises(GanforgeError, match=f"mask .*flat.png is {what}") as e:
        read_mask(path, (H, W))
    assert "\n" not in str(e.value)


@pytest.mark.parametrize(
    "content",
    [b"not an image at all", b"\x89PNG\r\n\x1a\n truncated", b""],
    ids=["text", "png", "0"],
)
def test_not_an_image_is_one_line_naming_the_file(tmp_path, content):
    path = tmp_path / "mask.png"
    path.write_bytes(content)
    with pytest.raises(GanforgeError, match=r"mask .*mask.png: ") as e:
        read_mask(path, (H, W))
    assert "\n" not in str(e.value)


def test_missing_file_and_folder_are_one_line(tmp_path):
    for path in (tmp_path / "nope.png", tmp_path):
        with pytest.raises(GanforgeError, match="mask "):
            read_mask(path)


def test_too_large_is_refused_from_the_header(tmp_path):
    path = _save(tmp_path, Image.fromarray(_grey(255, 0), "L"))
    with pytest.raises(GanforgeError, match="limit"):
        read_mask(path, max_pixels=10)


def test_check_mask_on_tensors():
    check_mask(torch.tensor([[0.0, 1.0]]), (1, 2), "given")
    with pytest.raises(GanforgeError, match="mask given is all black"):
        check_mask(torch.zeros(1, 2, 2), None, "given")
