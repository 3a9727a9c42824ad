"""The report page: self-contained HTML, checked as text and rendered in headless Chromium."""

from __future__ import annotations

import base64
import io
import re
import shutil
import subprocess
import time

import numpy as np
import pytest
from PIL import Image

from ganforge.errors import GanforgeError
from ganforge.report.html import MAX_FRAMES, build_report, training_grids, write_report


@pytest.fixture(scope="module")
def page(dcgan_run, tmp_path_factory):
    """A copy of the tiny run with an evaluation log, and its report."""
    run = tmp_path_factory.mktemp("report") / "run"
    shutil.copytree(dcgan_run, run)
    (run / "metrics-eval.csv").write_text(
        "images,fd_fmnist,kid_fmnist,kid_fmnist_std,eval_s,protocol\n"
        "256,120.5,0.11,0.01,1.2,ab12cd\n512,98.25,0.08,0.01,1.1,ab12cd\n"
    )
    return run, write_report(run)


def test_report_is_self_contained_and_has_every_section(page):
    run, out = page
    assert out == run / "report.html"
    text = out.read_text()
    assert not re.search(r"(src|href)=['\"]?(https?:|//)", text)  # nothing fetched
    assert "default-src 'none'" in text  # and the browser is told to refuse any fetch
    srcs = re.findall(r"<img [^>]*src=\"([^\"]+)\"", text)
    assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs)
    for png in srcs:  # every embedded image decodes
        Image.open(io.BytesIO(base64.b64decode(png.split(",", 1)[1]))).verify()
    for heading in (
        "Samples",
        "Interpolation",
        "Samples during training",
        "Losses",
        "Evaluation metrics",
        "Timing",
        "Data",
        "Config",
    ):
        assert f"<h2>{heading}" in text, heading
    assert "98.25" in text and "fd_fmnist" in text  # the latest evaluation row
    grids = sorted(run.glob("samples/fakes-*.png"))
    assert len(grids) >= 2 and text.count("data-label=") == len(grids)
    assert "g_width: 8" in text  # the config


def test_training_grids_are_thinned_evenly(tmp_path):
    (tmp_path / "samples").mkdir()
    for i in range(1, 101):
        (tmp_path / "samples" / f"fakes-{i * 1000:012d}.png").write_bytes(b"png")
    frames = training_grids(tmp_path, max_frames=MAX_FRAMES)
    seen = [n for n, _ in frames]
    assert len(seen) == MAX_FRAMES and seen[0] == 1000 and seen[-1] == 100_000
    assert seen == sorted(seen)


def test_report_of_a_run_without_checkpoint_still_renders(dcgan_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(dcgan_run, run, ignore=shutil.ignore_patterns("checkpoints"))
    text = build_report(run)
    assert "No samples drawn here" in text and "train it first" in text
    assert "<h2>Losses" in text


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(
    _chromium() is None, reason="headless Chromium not installed (Debian: apt-get install chromium)"
)
def test_report_renders_in_headless_chromium(page, tmp_path):
    _, out = page
    shot = tmp_path / "shot.png"
    r = subprocess.run(
        [
            _chromium(),
            "--headless",
            "--no-sandbox",  # CI containers run as root
            "--disable-gpu",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            "--window-size=1280,1600",
            "--enable-logging=stderr",
            "--v=0",
            f"--screenshot={shot}",
            "--dump-dom",
            out.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    # The page logs nothing itself: any console line is an error, a CSP block or a warning.
    console = [ln for ln in r.stderr.splitlines() if "CONSOLE" in ln]
    assert console == [], console
    # The page's load check ran and found every image decoded.
    body = re.search(r"<body([^>]*)>", r.stdout).group(1)
    n_img = out.read_text().count("<img ")
    assert "Could not be drawn" not in out.read_text()
    assert f'data-images-ok="{n_img}"' in body and 'data-images-broken="0"' in body, body
    # The slider's script ran: the newest training grid is labelled.
    assert re.search(r'id="frame-label">at [\d.]+ kimg<', r.stdout)
    # The final samples were drawn where the page laid them out: crop the screenshot to that
    # element's box (recorded by the page's load check) and compare it with the samples it holds.
    box = re.search(r'data-final-samples-box="(\d+),(\d+),(\d+),(\d+)"', body)
    assert box, body
    x, y, w, h = map(int, box.groups())
    pixels = np.asarray(Image.open(shot).convert("L"), dtype=np.float64)
    assert pixels.shape == (1600, 1280) and y + h <= 1600 and x + w <= 1280
    region = pixels[y : y + h, x : x + w]
    grid = _embedded(out.read_text(), "final-samples")  # the PNG in the page, 2x in the layout
    assert (h, w) == (2 * grid.shape[0], 2 * grid.shape[1])
    assert region.std() > 30  # samples, not a blank or flat box
    # Pixelated 2x rendering: the box shows exactly the embedded grid, pixel for pixel (within
    # colour management rounding).
    assert np.abs(region[::2, ::2] - grid).mean() < 2


def _embedded(text: str, element_id: str) -> np.ndarray:
    """The PNG embedded in the <img id=...> of the page, as a grey array."""
    tag = re.search(rf'<img [^>]*src="data:image/png;base64,([^"]+)"[^>]*id="{element_id}"', text)
    png = base64.b64decode(tag.group(1))
    return np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=np.float64)


def test_a_report_is_quick_and_never_fails_a_finished_run(dcgan_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(dcgan_run, run)
    start = time.perf_counter()
    write_report(run)  # what the trainer calls when a run ends: the run folder only
    assert time.perf_counter() - start < 10  # ~1 s on an idle core; generous for a busy CI
    # Broken pieces of a run cost their section, never the page.
    (run / "metrics.csv").write_text("images,d_loss\n1,abc\n\x00\x00")
    (run / "metrics-eval.csv").write_bytes(b"\xff\xfe not a csv")
    (run / "run.json").write_text("[1, 2]")
    (run / "data_report.json").write_text("{")
    text = write_report(run).read_text()
    assert "<h2>Samples" in text and "<h2>Config" in text
    # An unwritable destination is a GanforgeError (one line), not an OSError.
    (run / "report.html").unlink()
    (run / "report.html").mkdir()
    with pytest.raises(GanforgeError, match="cannot write"):
        write_report(run)
