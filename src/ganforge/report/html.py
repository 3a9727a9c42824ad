"""The report page of a run: one self-contained HTML file, ``RUN/report.html``.

Everything a reader needs to judge a run, in the spirit of the figures of DCGAN (Radford, Metz &
Chintala 2016: samples, latent walks) and of the run folders of StyleGAN/EDM (Karras et al.):
final samples and real images side by side, a latent interpolation strip, the fixed-noise grids
saved during training behind a slider, loss curves, evaluation curves (``metrics-eval.csv`` when
the run has one), timing, the data report and the resolved config.

Self-contained means portable: images are inline ``data:`` URIs, the small script and the styles
are inline, and a Content-Security-Policy forbids every network request, so the file can be mailed,
archived or opened offline and looks the same.
"""

from __future__ import annotations

import base64
import html
import io
import json
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from PIL import Image

from ganforge.errors import GanforgeError
from ganforge.evaluation.curves import plot_eval, read_eval
from ganforge.explore import latents as L
from ganforge.explore.classes import generate_mixed, one_hot
from ganforge.explore.interpolate import walk_inputs
from ganforge.explore.sample import generate
from ganforge.hub.places import is_place
from ganforge.images import atomic_write_bytes, make_grid, to_pil, to_uint8
from ganforge.plots import plot_losses
from ganforge.runs import load_run

MAX_FRAMES = 60
"""Most training grids embedded in the slider (evenly spaced, the last always kept)."""

_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'"

_STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 0 20px
  40px; color: #222; background: #fff; }
h1 { font-size: 1.5em; margin: 1em 0 0.2em; } h2 { font-size: 1.15em; margin-top: 1.8em;
  border-bottom: 1px solid #ddd; }
.sub { color: #666; margin: 0; }
.row { display: flex; flex-wrap: wrap; gap: 0 24px; }
figure { margin: 0.5em 0; }
figcaption { color: #555; font-size: 0.9em; }
img.px { image-rendering: pixelated; }
img.plot { max-width: 100%; height: auto; }
table { border-collapse: collapse; } td, th { padding: 2px 12px 2px 0; text-align: left;
  vertical-align: top; } th { color: #555; font-weight: normal; }
pre { background: #f6f6f6; padding: 10px; overflow-x: auto; font-size: 12.5px; }
#slider { width: 420px; } .warn { color: #a00; }
"""

# The slider shows one training grid at a time; the load check tells the reader (and the test in
# tests/report) when an embedded image failed to decode.
_SCRIPT = """
(function () {
  var frames = document.querySelectorAll('#frames img');
  var slider = document.getElementById('slider');
  var label = document.getElementById('frame-label');
  function show(i) {
    frames.forEach(function (f, k) { f.hidden = k !== i; });
    label.textContent = frames[i].dataset.label;
  }
  if (slider && frames.length) {
    slider.addEventListener('input', function () { show(Number(slider.value)); });
    show(frames.length - 1);
  }
  window.addEventListener('load', function () {
    var final = document.getElementById('final-samples');
    if (final) {  // where the final samples were laid out, for checks of a screenshot
      var r = final.getBoundingClientRect();
      document.body.dataset.finalSamplesBox =
        [r.left, r.top, r.width, r.height].map(Math.round).join(',');
    }
    var imgs = Array.prototype.slice.call(document.images);
    var bad = imgs.filter(function (i) { return !(i.complete && i.naturalWidth > 0); });
    document.body.dataset.imagesOk = String(imgs.length - bad.length);
    document.body.dataset.imagesBroken = String(bad.length);
    if (bad.length) {
      document.getElementById('status').textContent = bad.length + ' image(s) failed to load.';
    }
  });
})();
"""


# --------------------------------------------------------------------------- pieces


def png_bytes(array) -> bytes:
    """(H, W, C) uint8 -> PNG bytes."""
    buf = io.BytesIO()
    to_pil(array).save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _png_size(png: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(png)) as im:
        return im.size


def _img(png: bytes, css: str = "px", scale: int = 1, **attrs: str) -> str:
    """An <img> with its size written out, so the layout never depends on decoding."""
    w, h = _png_size(png)
    extra = "".join(f' {k.replace("_", "-")}="{html.escape(v)}"' for k, v in attrs.items())
    return (
        f'<img class="{css}" src="{data_uri(png)}" width="{w * scale}" height="{h * scale}"'
        f' alt=""{extra}>'
    )


def _figure(inner: str, caption: str) -> str:
    return f"<figure>{inner}<figcaption>{html.escape(caption)}</figcaption></figure>"


def _table(rows: list[tuple[str, Any]]) -> str:
    body = "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows
    )
    return f"<table>{body}</table>"


def _scale_for(side: int) -> int:
    """Enlarge small grids (28-32 px tiles) for the page; pixelated, so nothing is invented."""
    return 2 if side <= 520 else 1


def _kimg(images: int) -> str:
    return f"{images / 1000:,.1f} kimg"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    m, s = divmod(int(round(seconds)), 60)
    h, m = divmod(m, 60)
    return f"{h}h {m:02d}m {s:02d}s" if h else f"{m}m {s:02d}s"


def training_grids(run_dir: Path, max_frames: int = MAX_FRAMES) -> list[tuple[int, bytes]]:
    """(images seen, PNG bytes) of ``samples/fakes-<images>.png``, oldest first, at most
    ``max_frames`` evenly spaced (the last always included)."""
    found = []
    for p in (run_dir / "samples").glob("fakes-*.png"):
        m = re.fullmatch(r"fakes-(\d+)\.png", p.name)
        if m:
            found.append((int(m.group(1)), p))
    found.sort()
    if len(found) > max_frames:
        step = (len(found) - 1) / (max_frames - 1)
        found = [found[round(i * step)] for i in range(max_frames)]
    return [(n, p.read_bytes()) for n, p in found]


def _loss_png(run_dir: Path) -> bytes | None:
    csv_path = run_dir / "metrics.csv"
    if not csv_path.is_file():
        return None
    own = run_dir / "losses.png"
    if own.is_file() and own.stat().st_mtime >= csv_path.stat().st_mtime:
        return own.read_bytes()  # the trainer's plot is current: skip matplotlib (~2 s)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "losses.png"
        plot_losses(csv_path, out)  # redrawn: the run's own losses.png predates the last rows
        return out.read_bytes() if out.is_file() else None


def _number(info: dict[str, Any], key: str, kind: type | tuple[type, ...] = (int, float)) -> Any:
    """A non-negative number of type ``kind`` from run.json (a file anyone can edit), or 0 when
    the entry is not one."""
    v = info.get(key, 0)
    return v if isinstance(v, kind) and not isinstance(v, bool) and 0 <= v < 1e18 else 0


def _count(info: dict[str, Any], key: str) -> int:
    return _number(info, key, int)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


# --------------------------------------------------------------------------- sections

WALKS, WALK_STEPS = 4, 10


def _generated(run: Any, seed: int) -> tuple[bytes, bytes]:
    """Final samples and slerp walks (sample 2k -> 2k+1) from the run's generator -> two PNGs.

    The walks are ``ganforge interpolate --slerp`` between those samples: for a conditional run the
    class walks from one end's class to the other's, so each end is the sample shown above. All
    images go through the generator in one batch (this runs when every training run ends)."""
    n, k_cls = 64, run.num_classes
    z = L.latents(seed, range(n), run.z_dim)  # walks join samples 2k and 2k+1 of these
    y = L.labels(range(n), k_cls)
    zs, ws = [z], [None if y is None else one_hot(y, k_cls)]
    for k in range(WALKS):
        ya, yb = (None, None) if y is None else (int(y[2 * k]), int(y[2 * k + 1]))
        zw, w = walk_inputs(z[2 * k], z[2 * k + 1], WALK_STEPS, True, ya, yb, k_cls)
        zs.append(zw)
        ws.append(w)
    everything = torch.cat(zs)
    images = (
        generate(run.G, everything)
        if y is None
        else generate_mixed(run.G, everything, torch.cat(ws))
    )
    images = to_uint8(images)
    grid = png_bytes(make_grid(images[:n]))
    strip = png_bytes(make_grid(images[n:], nrow=WALK_STEPS))
    return grid, strip


def _header(run_dir: Path, info: dict[str, Any], run: Any) -> str:
    head = f"{info.get('status', 'unknown')}, {_kimg(_count(info, 'images_seen'))}"
    if info.get("images_total"):
        head += f" of {_kimg(_count(info, 'images_total'))}"
    if run is not None:
        head += f"; generator from {run.checkpoint.name}{' (EMA)' if run.used_ema else ''}"
    name = html.escape(info.get("name") or run_dir.name)
    return f"<h1>{name}</h1><p class='sub'>{html.escape(head)}</p><p id='status' class='warn'></p>"


def _samples_section(run_dir: Path, run: Any, why_not: str, seed: int) -> str:
    if run is None or run.cfg.data.is_toy:
        note = why_not or "a 2-D toy run: see the training plots below"
        return f"<h2>Samples</h2><p>No samples drawn here: {html.escape(note)}</p>"
    grid, strip = _generated(run, seed)
    s = _scale_for(max(_png_size(grid)))
    figures = _figure(_img(grid, scale=s, id="final-samples"), f"final samples, seed {seed}")
    reals = run_dir / "samples" / "reals.png"
    if reals.is_file():
        figures += _figure(_img(reals.read_bytes(), scale=s), "real images")
    pairs = ", ".join(f"{2 * k}-{2 * k + 1}" for k in range(WALKS))
    walk = _figure(
        _img(strip, scale=_scale_for(max(_png_size(strip)))),
        f"spherical interpolation (slerp) between samples {pairs} of seed {seed}",
    )
    return f"<h2>Samples</h2><div class='row'>{figures}</div><h2>Interpolation</h2>{walk}"


def _progress_section(run_dir: Path) -> str:
    """The fixed-noise grids saved during training, one at a time behind a slider."""
    frames = training_grids(run_dir)
    if not frames:
        return ""
    s = _scale_for(max(_png_size(frames[-1][1])))
    imgs = "".join(_img(png, scale=s, data_label=f"at {_kimg(n)}") for n, png in frames)
    last = len(frames) - 1
    return (
        "<h2>Samples during training (fixed noise)</h2>"
        f"<p><input type='range' id='slider' min='0' max='{last}' value='{last}' "
        "aria-label='training progress'> <span id='frame-label'></span></p>"
        f"<div id='frames'>{imgs}</div>"
    )


def _curves_section(run_dir: Path, info: dict[str, Any]) -> str:
    out = ""
    losses = _loss_png(run_dir)
    if losses:
        out += "<h2>Losses</h2>" + _img(losses, css="plot")
    eval_csv = run_dir / "metrics-eval.csv"
    png = plot_eval(eval_csv) if eval_csv.is_file() else None
    if png is None:
        return out
    x_name, cols = read_eval(eval_csv)
    last = [(k, f"{v[-1]:.5g}") for k, v in cols.items() if k != x_name]
    if x_name:
        last.insert(0, (x_name, f"{cols[x_name][-1]:.0f}"))
    out += "<h2>Evaluation metrics</h2>" + _img(png, css="plot")
    out += "<p>Latest evaluation:</p>" + _table(last)
    best = info.get("eval") or {}
    if best.get("best") is not None and (run_dir / "best.safetensors").is_file():
        out += (
            f"<p>Best {html.escape(str(best.get('metric')))} = {best['best']:.5g} at "
            f"{_kimg(int(best.get('best_images') or 0))}, kept as best.safetensors "
            "(open it with --checkpoint best).</p>"
        )
    return out


def _timing_section(info: dict[str, Any]) -> str:
    if not info:
        return ""
    rows = [
        ("status", info.get("status", "unknown")),
        ("images seen", f"{_count(info, 'images_seen'):,}"),
        # run.json of earlier versions counted iterations as g_steps
        ("iterations", f"{_count(info, 'iterations') or _count(info, 'g_steps'):,}"),
        ("wall time", _duration(info.get("wall_time_s"))),
        (
            "throughput",
            f"{_number(info, 'img_per_s'):,} img/s" if _number(info, "img_per_s") else "-",
        ),
        ("device / precision", f"{info.get('device', '-')} / {info.get('precision', '-')}"),
        ("versions", f"ganforge {info.get('ganforge', '?')}, torch {info.get('torch', '?')}"),
        ("checkpoints", ", ".join(info.get("checkpoints", [])) or "-"),
    ]
    return "<h2>Timing</h2>" + _table(rows)


def _data_section(data: dict[str, Any]) -> str:
    """Scalars as a table; lists and dicts (skipped files, class names) folded away."""
    if not data:
        return ""
    out = "<h2>Data</h2>" + _table(
        [(k, v) for k, v in data.items() if not isinstance(v, (dict, list))]
    )
    for k, v in data.items():
        if isinstance(v, (dict, list)) and v:
            text = json.dumps(v, indent=1)
            text = text if len(text) < 4000 else text[:4000] + "\n..."
            out += f"<details><summary>{html.escape(k)}</summary><pre>{html.escape(text)}</pre></details>"
    return out


# --------------------------------------------------------------------------- the page


def _section(name: str, make: Callable[[], str]) -> str:
    """One section, or a visible note when it could not be drawn.

    The report is a summary written when a run ends: a plotting or decoding problem in one part
    (an odd metrics file, a generator that cannot run here) must cost that part, never the run."""
    try:
        return make()
    except Exception as e:  # noqa: BLE001 - any failure of one section, reported on the page
        why = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
        return f"<h2>{html.escape(name)}</h2><p class='warn'>Could not be drawn ({html.escape(why)}).</p>"


def build_report(run_dir: str | Path, device: str = "cpu", seed: int = 0) -> str:
    """The HTML text of the report of ``run_dir``. A run without a usable checkpoint still gets
    a page (curves, grids, config), with the reason its generator could not be shown."""
    if is_place(run_dir):
        return _model_report(str(run_dir), device, seed)
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise GanforgeError(
            f"{run_dir} does not exist: give a run folder such as runs/<date>-<name>"
        )
    if not (run_dir / "config.yaml").is_file():
        raise GanforgeError(f"{run_dir} is not a ganforge run folder (no config.yaml)")
    info = _read_json(run_dir / "run.json")
    run, why_not = None, ""
    try:
        run = load_run(run_dir, device=device)
        if not run.model.can("sample"):
            uses = ", ".join(run.model.uses) or "none"
            run, why_not = (
                None,
                f"this run's model does not sample from noise (its uses: {uses}): what it "
                "makes is in the training grids below",
            )
    except GanforgeError as e:
        why_not = str(e)
    except Exception as e:  # noqa: BLE001 - e.g. a checkpoint of another version: no samples
        why_not = f"the generator could not be loaded ({type(e).__name__}: {e})"
    try:
        config_text = (run_dir / "config.yaml").read_text()
    except (OSError, UnicodeDecodeError) as e:
        config_text = f"(unreadable: {e})"
    parts = [
        _section("Run", lambda: _header(run_dir, info, run)),
        _section("Samples", lambda: _samples_section(run_dir, run, why_not, seed)),
        _section("Samples during training", lambda: _progress_section(run_dir)),
        _section("Curves", lambda: _curves_section(run_dir, info)),
        _section("Timing", lambda: _timing_section(info)),
        _section("Data", lambda: _data_section(_read_json(run_dir / "data_report.json"))),
        "<h2>Config</h2><pre>" + html.escape(config_text) + "</pre>",
    ]
    title = html.escape(info.get("name") or run_dir.name)
    return (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<meta http-equiv='Content-Security-Policy' content=\"{_CSP}\">"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{title} - ganforge report</title><style>{_STYLE}</style></head>"
        f"<body>{''.join(parts)}<script>{_SCRIPT}</script></body></html>\n"
    )


def _model_report(place: str, device: str, seed: int) -> str:
    """The page of a model without a run folder (``pretrained:``, ``hf:``, a model folder): no
    training log exists, so it shows the samples, the card's scores and the config."""
    run = load_run(place, device=device)
    run.require("sample", command="`ganforge report`")
    card = run.card or {}
    info = {"name": place, "status": "trained model", "images_seen": run.images_seen}
    facts = {k: v for k, v in card.items() if k in ("metrics", "protocol", "training_command")}
    parts = [
        _section("Run", lambda: _header(Path(place), info, run)),
        _section("Samples", lambda: _samples_section(Path(run.run_dir), run, "", seed)),
        "<h2>Card</h2><pre>" + html.escape(json.dumps(facts, indent=2)) + "</pre>",
        "<h2>Config</h2><pre>" + html.escape(run.cfg.to_yaml()) + "</pre>",
    ]
    return (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<meta http-equiv='Content-Security-Policy' content=\"{_CSP}\">"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(place)} - ganforge report</title><style>{_STYLE}</style></head>"
        f"<body>{''.join(parts)}<script>{_SCRIPT}</script></body></html>\n"
    )


def write_report(
    run_dir: str | Path, out: str | Path | None = None, device: str = "cpu", seed: int = 0
) -> Path:
    """Write the report (default ``RUN/report.html``) atomically and return its path.

    Safe to call when a run ends: every failure is a GanforgeError (bad folder, unwritable
    output); a part of the page that cannot be drawn becomes a note on the page instead.
    """
    if out:
        out = Path(out)
    elif is_place(run_dir):  # read-only: the page goes to the working folder
        out = Path(f"report-{re.sub(r'[^A-Za-z0-9._-]+', '-', str(run_dir)).strip('-.')}.html")
    else:
        out = Path(run_dir) / "report.html"
    if not out.parent.is_dir():
        raise GanforgeError(f"--out {out}: folder {out.parent} does not exist (create it first)")
    page = build_report(run_dir, device, seed)
    try:
        atomic_write_bytes(out, page.encode("utf-8"))
    except OSError as e:
        raise GanforgeError(f"cannot write {out} ({e.strerror or e}): check the folder") from None
    return out


def report_on_finish(device: str = "cpu") -> Callable[[Path], dict[str, Any]]:
    """What ``Trainer.fit(on_finish=...)`` calls when a run finishes (``train.report``): writes
    report.html and links it from run.json; a failure becomes a note, never a failed run."""

    def write(run_dir: Path) -> dict[str, Any]:
        try:
            path = write_report(run_dir, device=device)
        except GanforgeError as e:
            raise GanforgeError(f"report.html was not written: {e}") from None
        return {"report": path.name}

    return write
