"""The evaluation encoder pair of R-precision: trained apart from the generator's, with its seed.

R-precision (metrics/r_precision.py) ranks captions for a generated image with an image and a
sentence encoder. AttnGAN and DF-GAN score with the DAMSM encoders the generator was trained
against, which a generator can learn to please; here a second pair is trained from scratch with
another seed, the same objective (DAMSM's sentence loss, losses/contrastive.py) and the same data,
after training, by ``ganforge eval``. It is cached in the run folder
(``eval/r_precision_encoders.safetensors``, with its settings in the file's metadata) and reused
only when those settings match.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from ganforge.atomic import atomic_path
from ganforge.config.text2image import Text2ImageConfig
from ganforge.data.loader import to_model_range
from ganforge.losses.contrastive import contrastive_loss, same_key_mask
from ganforge.text.caption_table import CaptionTable
from ganforge.text.encoder import SentenceEncoder
from ganforge.text.image_encoder import ImageEncoder

SEED_OFFSET = 100
"""The pair's seed is the run's train.seed + this: never the generator's encoder's."""
BATCH = 64


def build_pair(
    t: Text2ImageConfig, vocab: int, channels: int, size: int
) -> tuple[SentenceEncoder, ImageEncoder]:
    text = SentenceEncoder(
        vocab, t.max_length, t.text_width, t.text_layers, t.text_heads, t.text_dim
    )
    return text, ImageEncoder(channels, size, t.image_width, t.text_dim)


def train_pair(
    images: torch.Tensor,
    table: CaptionTable,
    t: Text2ImageConfig,
    vocab: int,
    steps: int,
    seed: int,
) -> tuple[SentenceEncoder, ImageEncoder]:
    """``steps`` AdamW steps of DAMSM's sentence loss, batches of distinct images with one of
    their captions each; a one-cycle learning rate (warm-up, cosine decay)."""
    torch.manual_seed(seed)
    text, image = build_pair(t, vocab, images.shape[1], images.shape[-1])
    params = list(text.parameters()) + list(image.parameters())
    opt = torch.optim.AdamW(params, lr=t.pretrain_lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, t.pretrain_lr, total_steps=max(steps, 1), pct_start=0.1
    )
    gen = torch.Generator().manual_seed(seed)
    batch = min(BATCH, len(images))
    for _ in range(steps):
        idx = torch.randperm(len(images), generator=gen)[:batch]  # distinct images
        row = table.pick(idx, torch.rand(batch, generator=gen))
        positives = same_key_mask(idx, table.key[row])
        loss = contrastive_loss(
            image(to_model_range(images[idx])),
            text(table.ids[row]).sentence,
            t.contrastive_scale,
            positives,
        )
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
    return text.eval(), image.eval()


def cached_pair(
    path: Path,
    images: torch.Tensor,
    table: CaptionTable,
    t: Text2ImageConfig,
    vocab: int,
    steps: int,
    seed: int,
    say=print,
) -> tuple[SentenceEncoder, ImageEncoder, bool]:
    """:func:`train_pair`, or the pair saved at ``path`` by the same settings: (text, image,
    whether it came from the cache)."""
    settings = json.dumps(
        {"steps": steps, "seed": seed, "vocab": vocab, "n": len(images), "t": vars(t)},
        sort_keys=True,
    )
    text, image = build_pair(t, vocab, images.shape[1], images.shape[-1])
    if path.is_file():
        try:
            with safe_open(str(path), "pt") as f:
                same = (f.metadata() or {}).get("settings") == settings
            if same:
                state = load_file(str(path))
                text.load_state_dict({k[5:]: v for k, v in state.items() if k[:5] == "text."})
                image.load_state_dict({k[6:]: v for k, v in state.items() if k[:6] == "image."})
                return text.eval(), image.eval(), True
        except (OSError, SafetensorError, RuntimeError, KeyError):
            pass  # a damaged or foreign file: trained again and replaced
    say(f"training the evaluation encoder pair ({steps} steps, seed {seed})")
    text, image = train_pair(images, table, t, vocab, steps, seed)
    state = {f"text.{k}": v.contiguous() for k, v in text.state_dict().items()}
    state.update({f"image.{k}": v.contiguous() for k, v in image.state_dict().items()})
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        save_file(state, str(tmp), metadata={"settings": settings})
    return text, image, False
