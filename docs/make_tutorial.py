"""Writes docs/tutorial.ipynb, the CPU tutorial, from the cells below (outputs stripped).

    python3 docs/make_tutorial.py          # after editing a cell here; commit both files

tests/docs/test_tutorial.py executes the notebook at GANFORGE_TUTORIAL_SCALE=tiny and checks that
it matches this script, so the two never drift apart. A new section is a (markdown, code) pair in
CELLS.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

NOTEBOOK = Path(__file__).resolve().parent / "tutorial.ipynb"

INTRO = """\
# ganforge on a CPU: the classic GANs in about ten minutes

This notebook trains the classic GANs of the literature on Fashion-MNIST with ganforge's Python
API, on a CPU, and then uses what it trained:

1. the **vanilla GAN** of Goodfellow et al. (2014), an MLP, and its loss curves;
2. **DCGAN** (Radford, Metz & Chintala 2016) and its samples;
3. a **conditional GAN** (Mirza & Osindero 2014): one column per class;
4. **WGAN-GP** (Gulrajani et al. 2017): the critic's Wasserstein estimate;
5. a **latent walk** and **latent arithmetic** on the DCGAN (DCGAN sections 6.1 and 6.3.2);
6. a **pretrained model** shipped inside ganforge: samples with no training at all.

Each run is capped by a training-time budget (`train.minutes`), so the whole notebook takes about
ten minutes whatever the CPU; a faster machine trains more images in that time, and the samples
are better for it. The data is the Fashion-MNIST test split that ships inside ganforge (the 60k
training split is used when it is installed), so nothing is downloaded.

Set up: `pip install -e ".[notebook]"` (and `pip install jupyterlab`), then
`jupyter lab docs/tutorial.ipynb`. Every run is a normal run folder: `ganforge report RUN`,
`ganforge sample RUN ...` and `ganforge train --resume RUN` work on it as on any other."""

BUDGET_MD = """\
## Budget and where the runs go

`GANFORGE_TUTORIAL_SCALE=tiny` turns every run into a few steps of tiny networks: the test suite
executes the notebook that way (`tests/docs/test_tutorial.py`), so every cell keeps working.
`GANFORGE_TUTORIAL_OUT` is the folder the runs are written to (default `tutorial-runs`, beside
the notebook)."""

BUDGET = """\
import os
from pathlib import Path

from IPython.display import display
from PIL import Image

import ganforge
from ganforge.explore import arithmetic, interpolate, latents, sample, sheet

SCALE = os.environ.get("GANFORGE_TUTORIAL_SCALE", "full")
OUT = Path(os.environ.get("GANFORGE_TUTORIAL_OUT", "tutorial-runs"))
if SCALE not in ("full", "tiny"):
    raise ValueError(f"GANFORGE_TUTORIAL_SCALE={SCALE!r}: use full or tiny")

# Every run: its folder under OUT; no report page or evaluation (the cells below show the results).
COMMON = {"out_dir": str(OUT), "train.report": False, "train.eval_every": 0}
if SCALE == "full":
    # A row of metrics.csv every 1,000 images: curves with detail even when a slow CPU trains few.
    COMMON |= {"train.log_every": 1000}
    # Images, and a cap on training time in minutes: about 9.5 minutes of training in all.
    BUDGET = {
        "vanilla": {"train.images": 600_000, "train.minutes": 1.5},
        "dcgan": {"train.images": 300_000, "train.minutes": 3.5},
        "cgan": {"train.images": 300_000, "train.minutes": 2.5},
        "wgangp": {"train.images": 300_000, "train.minutes": 2.0},
    }
else:  # a few steps of tiny networks on 256 images: the test of this notebook
    COMMON |= {
        "runtime.progress": False,
        "data.split": "test",
        "data.max_images": 256,
        "train.batch_size": 32,
        "train.log_every": 32,
        "train.sample_every": 64,
        "train.checkpoint_every": 64,
    }
    tiny = {"train.images": 64, "model.g_width": 8, "model.d_width": 8}
    BUDGET = {
        "vanilla": {"train.images": 64, "model.g_hidden": [16], "model.d_hidden": [16]},
        "dcgan": tiny,
        "cgan": tiny,
        "wgangp": tiny,
    }


def train(preset, budget, **overrides):
    \"\"\"ganforge.train with this notebook's budget; returns the finished Trainer.\"\"\"
    return ganforge.train(preset, **COMMON, **BUDGET[budget], **overrides)


def show(picture):
    \"\"\"Display a PNG file or an (H, W, C) uint8 figure.\"\"\"
    if isinstance(picture, (str, Path)):
        picture = Image.open(picture)
    else:
        picture = Image.fromarray(picture[..., 0] if picture.shape[-1] == 1 else picture)
    display(picture)


def last_grid(trainer):
    \"\"\"The newest sample grid a run wrote during training.\"\"\"
    return sorted((trainer.run_dir / "samples").glob("fakes-*.png"))[-1]"""

VANILLA_MD = """\
## 1. The vanilla GAN (Goodfellow et al. 2014)

A generator G maps noise z to images, a discriminator D tells real images from G's; they play
the minimax game min_G max_D E[log D(x)] + E[log(1 - D(G(z)))]. The preset is the paper's MLPs
(G 100-256-784, D 784-100-50-1) with k=2 D steps per G step and the non-saturating generator
loss the paper recommends (G maximises log D(G(z))). The paper trained on MNIST
(`data.source=mnist`, which needs a download); here it is Fashion-MNIST at 28 px.

`losses.png` is drawn by the run itself from `metrics.csv`: the two losses, D's mean output on
real and generated images, and the gradient norms. A healthy run keeps D(x) and D(G(z)) apart
but not at 1 and 0."""

VANILLA = """\
vanilla = train("vanilla-mnist-mlp", "vanilla", **{"data.source": "fashion-mnist"})
print(vanilla.run_dir, f"{vanilla.images_seen:,} images")
show(vanilla.run_dir / "losses.png")
show(last_grid(vanilla))"""

DCGAN_MD = """\
## 2. DCGAN (Radford, Metz & Chintala 2016)

Convolutions instead of MLPs: strided transposed convolutions with batch norm and ReLU in G,
strided convolutions with LeakyReLU in D, Adam at 2e-4 with beta1 = 0.5. ganforge samples from
an exponential moving average of G's weights (the EMA generator), which is smoother than the
last step's. `ganforge.load_run` opens any run folder; a sample is named by (seed, index), so
sample 29 of seed 7 is the same image in every command and cell."""

DCGAN = """\
dcgan = train("dcgan-fashion-mnist", "dcgan")
run = ganforge.load_run(dcgan.run_dir)
print(run.run_dir, f"{dcgan.images_seen:,} images, z_dim {run.z_dim}")
samples = sample.draw(run.G, 64, seed=1)  # samples 0..63 of seed 1; images in [-1, 1]
sample.save(samples, OUT / "dcgan-samples.png")
show(OUT / "dcgan-samples.png")"""

CGAN_MD = """\
## 3. A conditional GAN (Mirza & Osindero 2014)

G and D both see the class: a label embedding is concatenated to z and to D's input. Sample i
has class i mod 10, so ten samples per class in a sheet of ten columns put one class in each
column."""

CGAN = """\
cgan = train("cgan-fashion-mnist", "cgan")
conditional = ganforge.load_run(cgan.run_dir)
per_class = sample.draw(conditional.G, 40, seed=3, num_classes=conditional.num_classes)
show(sheet.sheet(per_class, cols=10, class_names=conditional.class_names))"""

WGANGP_MD = """\
## 4. WGAN-GP (Gulrajani et al. 2017)

The critic estimates the Wasserstein distance between real and generated images, kept
1-Lipschitz by a gradient penalty (lambda = 10) on points between real and generated images;
five critic steps per generator step, Adam at 1e-4 with betas (0, 0.9). Unlike the GAN losses
above, the critic's loss means something: its negative is the distance estimate, and it should
fall as the samples improve."""

WGANGP = """\
wgangp = train("wgangp-fashion-mnist", "wgangp")
show(wgangp.run_dir / "losses.png")
show(last_grid(wgangp))"""

WALK_MD = """\
## 5. A latent walk (DCGAN section 6.1)

Walking a straight line (here a spherical one, which stays where Gaussian latents live) between
two latents: a generator that has learnt something useful changes the image smoothly, with no
sudden jumps, and every frame is a plausible image."""

WALK = """\
z = latents.latents(7, [81, 29], run.z_dim)  # samples 81 and 29 of seed 7
frames = interpolate.walk(run.G, z[0], z[1], 10, spherical=True)  # (10, C, H, W)
show(interpolate.strip_figure(frames, "#81", "#29"))
interpolate.save_gif(OUT / "walk.gif", frames, scale=4)"""

ARITHMETIC_MD = """\
## 6. Latent arithmetic (DCGAN section 6.3.2)

A numbered sheet to pick exemplars from, then mean(a) - mean(b) + mean(c) on their latents,
shown with eight neighbours (uniform noise of +-0.25 around the result). DCGAN's example was
smiling woman - neutral woman + neutral man = smiling man; on Fashion-MNIST try, say, T-shirts -
pullovers + dresses. Your run differs from ours, so pick the numbers from your own sheet and
put them in `a`, `b` and `c`."""

ARITHMETIC = """\
picks = sample.draw(run.G, 100, seed=7)
show(sheet.sheet(picks, cols=10))
a, b, c = (latents.latents(7, i, run.z_dim) for i in ([12, 57, 59], [3, 42, 48], [25, 75, 90]))
result = arithmetic.arithmetic(run.G, a, b, c)
show(result.figure)  # rows: a, b, c (with their means), then the result and its neighbours"""

PRETRAINED_MD = """\
## 7. A pretrained model: no training

ganforge ships small generators inside the package (`ganforge pretrained` lists them with their
scores and the commands that trained them). `pretrained:NAME` opens one wherever a run folder is
accepted, read-only, with no network; `hf:USER/NAME` does the same for a model on the Hugging Face
Hub. Its card says how it was trained and what it scores. A shipped model is also a starting
point: `ganforge train --data folder:PATH --init pretrained:NAME` fine-tunes it on your images."""

PRETRAINED = """\
shipped = ganforge.from_pretrained("pretrained:cgan-fashion-mnist")
print(shipped.card["summary"] if shipped.card else shipped.place)
per_class = sample.draw(shipped.G, 40, seed=3, num_classes=shipped.num_classes)
show(sheet.sheet(per_class, cols=10, class_names=shipped.class_names))"""

NEXT_MD = """\
## Where next

- The same runs from a shell: `ganforge train --preset wgangp-fashion-mnist --set train.minutes=2`,
  `ganforge sample RUN --n 64 --grid grid.png`, `ganforge interpolate ...`, `ganforge report RUN`.
- Longer training: `ganforge.Trainer.resume(run.run_dir, ["train.images=1e6", "train.minutes=null"]).fit()`
  continues a run exactly where it stopped.
- Experiment trackers: `train.loggers=[tensorboard,wandb,mlflow]` sends the same curves, grids and
  config to TensorBoard, Weights & Biases and MLflow (see the README)."""

CELLS = [
    ("markdown", INTRO),
    ("markdown", BUDGET_MD),
    ("code", BUDGET),
    ("markdown", VANILLA_MD),
    ("code", VANILLA),
    ("markdown", DCGAN_MD),
    ("code", DCGAN),
    ("markdown", CGAN_MD),
    ("code", CGAN),
    ("markdown", WGANGP_MD),
    ("code", WGANGP),
    ("markdown", WALK_MD),
    ("code", WALK),
    ("markdown", ARITHMETIC_MD),
    ("code", ARITHMETIC),
    ("markdown", PRETRAINED_MD),
    ("code", PRETRAINED),
    ("markdown", NEXT_MD),
]
"""The notebook, in order: (cell type, source)."""


def build() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    }
    for i, (kind, source) in enumerate(CELLS):
        make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
        nb.cells.append(make(source, id=f"cell-{i:02d}"))  # stable ids: a clean diff
    return nb


def main() -> int:
    nbformat.write(build(), NOTEBOOK)
    print(f"wrote {NOTEBOOK}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
