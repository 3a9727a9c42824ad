"""``ganforge eval`` of a text-to-image run: FD, R-precision and, on the demo, caption agreement.

Protocol (recorded in the result's ``protocol``):

- **Captions.** n images of the run's data (the first n, at most ``MAX_N``), one caption each: on
  the Fashion-MNIST demo (``fashion-captions``) a caption in the HELD-OUT wording (templates and
  synonyms no generator caption contains, ``text/fashion_captions.py``) that always names the
  brightness when the image has one; on other captioned data one of the image's own captions,
  drawn with the seed.
- **Samples.** One image per caption, z ~ N(0, I) from a CPU generator seeded with ``--seed``, the
  run's (EMA) generator, quantised to uint8.
- **FD** of the samples' features to the n real images': the Fashion-MNIST network's on the demo
  (FD-FMNIST, never called FID), EfficientNet-Lite1's on colour sets (the folder metric of
  ``ganforge eval-folders``); skipped, with the reason, where n is too small for the features.
- **R-precision** (metrics/r_precision.py; Xu et al. 2018): the true caption first among 100,
  scored by an evaluation encoder pair trained apart from the generator's
  (evaluation/text_encoder_pair.py), on the samples and, as its ceiling, on the real images.
- **Agreement** (demo): the class the shipped Fashion-MNIST classifier sees against the class the
  caption names, and each named property (dark/light by mean intensity, wide/narrow by silhouette
  width, plain/patterned by texture) against the intended class's median on the data.
- **Caption-blind baseline** beside each score: the same samples scored against the captions of
  other samples (a random permutation). It is what an unconditional model of the same quality
  scores: chance for the class (about 10 %) and each property (about 50 %).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from ganforge.config import Config
from ganforge.data.dataset import ImageData
from ganforge.data.loader import to_model_range
from ganforge.errors import GanforgeError
from ganforge.evaluation.options import EvalOptions
from ganforge.evaluation.protocol import FEATURE_DIMS, fd_minimum
from ganforge.evaluation.text_encoder_pair import SEED_OFFSET, cached_pair
from ganforge.images import to_uint8
from ganforge.losses.contrastive import similarity
from ganforge.metrics.features import EXTRACTORS, load_extractor
from ganforge.metrics.fid import frechet_distance_from_features
from ganforge.metrics.r_precision import CANDIDATES, r_precision
from ganforge.text.caption_table import CaptionTable
from ganforge.text.fashion_captions import agreement, caption_targets, make_captions
from ganforge.text.fashion_data import thresholds_of
from ganforge.text.fashion_properties import measure, name_properties

MAX_N = 5000
"""Most captions scored (the samples, the real images, the n x n similarity matrix)."""
DEMO = "fashion-captions"
ENCODER_FILE = "eval/r_precision_encoders.safetensors"


def eval_captions(data: ImageData, n: int, seed: int) -> tuple[list[str], str]:
    """n captions of the first n images and how they were chosen."""
    labels = data.labels[:n]
    if data.name == DEMO:
        named = name_properties(measure(data.images[:n]), labels, thresholds_of(data))
        caps = make_captions(labels, named, 1, True, seed + 3, always=("brightness",))
        how = "held-out wording (never a generator caption), brightness always named if named"
        return [c[0] for c in caps], how
    rng = random.Random(seed)
    return [rng.choice(c) for c in data.fields["captions"][:n]], "one of each image's captions"


def _features(name: str, n: int, asked: bool) -> tuple[Any, str | None]:
    """(extractor or None, why skipped)."""
    if name == "none":
        return None, "--features none"
    dim = FEATURE_DIMS.get(name, 0)
    if n <= dim or (name in FEATURE_DIMS and n < fd_minimum(name)):
        return None, f"{n} images per side are too few for the {dim}-d {name} features"
    try:
        return load_extractor(name), None
    except GanforgeError as e:
        if asked:
            raise
        return None, str(e)


def evaluate_text_model(
    run: Any,
    load_data: Callable[[Config], ImageData],
    run_dir: Path,
    options: EvalOptions,
    say: Callable[[str], None] = print,
) -> dict[str, Any]:
    """The scores of the module docstring -> {"metrics", "protocol", "name"}."""
    options.refuse(
        "metrics",
        "split",
        "real",
        "direction",
        "fidelity_channels",
        why="does not apply to text2image runs: they are scored on captions of their own data "
        "(FD, R-precision, caption agreement)",
    )
    model, cfg = run.model, run.cfg
    demo = cfg.data.source.strip() == DEMO
    allowed = ("auto", *EXTRACTORS, "none")
    if options.features not in allowed:
        raise GanforgeError(f"--features {options.features} is not one of {', '.join(allowed)}")
    feats = options.features if options.features != "auto" else ("fmnist" if demo else "lite1")
    data = load_data(cfg)
    n = min(options.n, MAX_N, len(data))
    if n < CANDIDATES:
        raise GanforgeError(
            f"{n} captions: R-precision ranks {CANDIDATES} per image; score at least "
            f"{CANDIDATES} (--n, and a data set of that many images)"
        )
    notes = [] if n == options.n else [f"{n} captions scored (--n {options.n}, at most {MAX_N})"]
    texts, how = eval_captions(data, n, options.seed)
    ids, lost = model.encode_text(texts)
    notes += lost

    # 1. samples, one per caption
    gen = torch.Generator().manual_seed(options.seed)
    z = torch.randn(n, model.z_dim, generator=gen)
    say(f"drawing {n} samples")
    fakes = to_uint8(model.generate(z, ids, options.batch or 250))  # (n, C, H, W)
    reals = data.images[:n]
    perm = torch.randperm(n, generator=gen)  # the caption-blind baseline's captions
    metrics: dict[str, float] = {}
    skipped: dict[str, str] = {}

    # 2. FD to the real images
    ext, why = _features(feats, n, options.features != "auto")
    fd_name = "fd_fmnist" if feats == "fmnist" else f"fd_{feats}"
    if ext is not None:
        metrics[fd_name] = frechet_distance_from_features(
            ext.extract(fakes)["pool"], ext.extract(reals)["pool"]
        )
    elif why:
        skipped[fd_name] = why

    # 3. R-precision with the evaluation encoder pair
    t = cfg.text2image
    table = CaptionTable.build(_all_captions(data), model.tokenizer)
    steps = max(1, t.pretrain_images // 64)
    text_e, image_e, cached = cached_pair(
        run_dir / ENCODER_FILE,
        data.images,
        table,
        t,
        len(model.tokenizer),
        steps,
        cfg.train.seed + SEED_OFFSET,
        say,
    )
    keys: dict[str, int] = {}
    key = torch.tensor([keys.setdefault(c, len(keys)) for c in texts])
    with torch.no_grad():
        e_txt = torch.cat([text_e(ids[i : i + 1000]).sentence for i in range(0, n, 1000)])

        def embed(images: torch.Tensor) -> torch.Tensor:
            return torch.cat(
                [image_e(to_model_range(images[i : i + 1000])) for i in range(0, n, 1000)]
            )

        sim_fake = similarity(embed(fakes), e_txt)
        sim_real = similarity(embed(reals), e_txt)
    metrics["r_precision"] = r_precision(sim_fake, key, options.seed)
    metrics["r_precision.blind"] = r_precision(sim_fake[:, perm], key[perm], options.seed)
    metrics["r_precision.real"] = r_precision(sim_real, key, options.seed)

    # 4. caption agreement on the demo
    agree_protocol = None
    if demo:
        classifier = load_extractor("fmnist")
        predicted = torch.from_numpy(classifier.extract(fakes)["logits"]).argmax(1)
        props = measure(fakes)
        thr = thresholds_of(data)
        targets = [caption_targets(c) for c in texts]
        for name, (value, judged) in agreement(targets, predicted, props, thr).items():
            metrics[f"agree.{name}"] = value
            metrics[f"agree.{name}.n"] = judged
        blind = agreement([targets[j] for j in perm.tolist()], predicted, props, thr)
        for name, (value, _) in blind.items():
            metrics[f"agree.{name}.blind"] = value
        agree_protocol = {
            "class": "argmax of the shipped Fashion-MNIST classifier (metrics/fmnist_net.py)",
            "properties": "text/fashion_properties.py measure(); above the intended class's "
            "median on the data when the caption says light / wide / patterned",
            "judged": "captions that name a class (and, for a property, name it)",
        }
    protocol = {
        "task": cfg.model.task,
        "data": cfg.data.source,
        "n": n,
        "captions": how,
        "samples": f"z ~ N(0, I), CPU generator seed {options.seed}; "
        f"{'EMA' if run.used_ema else 'raw'} generator; uint8",
        "fd": f"Frechet distance of {feats} features, samples vs the n real images",
        "features": feats,
        "r_precision": {
            "candidates": CANDIDATES,
            "distractors": "99 random captions of other text among the n scored, seeded",
            "encoders": "a pair trained apart from the generator's (seed train.seed + "
            f"{SEED_OFFSET}, {steps} steps of batch 64, DAMSM sentence loss)"
            + (" (cached)" if cached else ""),
            "real": "r_precision.real: real images against their captions (the ceiling)",
        },
        "agreement": agree_protocol,
        "blind": "each score's .blind: the same samples against a permutation of the captions",
        "skipped": skipped,
        "seed": options.seed,
        "notes": notes,
    }
    return {"metrics": metrics, "protocol": protocol, "name": f"text2image-{feats}"}


def _all_captions(data: ImageData) -> list[list[str]]:
    more = data.fields.get("encoder_captions")
    gan = data.fields["captions"]
    return [list(a) + list(b) for a, b in zip(gan, more)] if more else [list(c) for c in gan]
