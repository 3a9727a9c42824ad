"""Text to image as a task: generate an image from a caption.

- Reed, Akata, Yan, Logeswaran, Schiele & Lee 2016, "Generative Adversarial Text to Image
  Synthesis" (ICML): G(z, phi(t)) and a matching-aware D that also sees (real image, wrong text)
  as fake (GAN-CLS, ``text2image.matching_aware``), and G trained on interpolated embeddings
  (GAN-INT, ``text2image.interpolate``).
- Zhang et al. 2017, "StackGAN" (ICCV): conditioning augmentation, G's condition drawn from
  N(mu(t), sigma(t)^2) with a KL term (``text2image.conditioning_augmentation``).
- Xu et al. 2018, "AttnGAN" (CVPR): DAMSM, a text encoder pre-trained against an image encoder
  with an image-text contrastive loss on the data set's own captions, then frozen.
- Tao et al. 2022, "DF-GAN" (CVPR): deep text-image fusion blocks in G, a one-way output D,
  the hinge loss and the matching-aware zero-centred gradient penalty (MA-GP): the default.

One run has two parts, both phases of the same iteration, so checkpoints and resume cover both:

1. Pre-training (the first ``text2image.pretrain_images`` images), the ``TE`` phase: the sentence
   encoder (``text/encoder.py``) and a small image encoder (``text/image_encoder.py``) learn
   DAMSM's sentence loss (``losses/contrastive.py``) on each batch's images and one caption each,
   drawn from every caption the data gives (``captions`` and, on the demo, ``encoder_captions``,
   whose held-out wording the generator never sees). The D and G phases skip.
2. The GAN: the encoder is frozen, the sentence vectors of all the generator's captions are
   computed once, and each iteration runs

       L_D = hinge(D(x, s)) against [D(G(z, c), s) and D(x, s_wrong)] / 2 + k N E[||grad D||^p]
       L_G = -D(G(z, c), s) [- D(G(z', c_int), s_int)] [+ lambda_KL KL]

   with c = s, or CA's sample of s; s_wrong the caption of another image of the batch whose text
   differs (``losses/matching.py``); the penalty every N-th D step (``losses/magp.py``). The
   TE phase skips.

The vocabulary is built from the data's captions (``text/tokenizer.py``, deterministic) and saved
with every checkpoint and as ``tokenizer.json`` in the run folder. Batches draw images without
repetition (an image sampler) and one caption each, with the run's noise generator, so resume is
exact.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from ganforge.config import Config
from ganforge.config.checks import choice
from ganforge.config.text2image import Text2ImageConfig
from ganforge.data import load_data
from ganforge.data.dataset import ImageData
from ganforge.data.loader import IndexSampler, to_model_range
from ganforge.errors import GanforgeError
from ganforge.evaluation.options import EvalOptions
from ganforge.evaluation.text2image import evaluate_text_model
from ganforge.inference.text_generator import TextGenerator, TextToImage, sentence_condition
from ganforge.losses.adversarial import LOSSES, discriminator_prob
from ganforge.losses.contrastive import contrastive_loss, same_key_mask, similarity
from ganforge.losses.kl import kl_standard_normal
from ganforge.losses.magp import matching_aware_gp
from ganforge.losses.matching import cyclic_mismatch, interpolate_embeddings, matching_aware_d_loss
from ganforge.models.conditioning_augmentation import ConditioningAugmentation
from ganforge.models.dfgan import DFGANDiscriminator, DFGANGenerator
from ganforge.tasks.base import Panels, Phase, PhaseLoss, refuse_options
from ganforge.tasks.optim import make_optimizer
from ganforge.tasks.two_player import GAN_COLUMNS, GAN_PANELS, TwoPlayerTask
from ganforge.tasks.weights import load_weights, pick_weights
from ganforge.text import fashion_data  # noqa: F401  (registers the fashion-captions scheme)
from ganforge.text.caption_table import CaptionTable
from ganforge.text.encoder import SentenceEncoder
from ganforge.text.image_encoder import ImageEncoder
from ganforge.text.tokenizer import WordTokenizer

Batch = tuple[Tensor, Tensor, Tensor, Tensor]
"""(x (B, C, H, W) in [-1, 1], image index (B,), a caption row of all captions (B,), a caption
row of the generator's captions (B,))."""
EXAMPLES = 16
"""Example captions kept with the run: the sample grids' rows and the captions a command that
knows nothing of text draws (``TextToImage`` with ids=None)."""
WARMUP = 0.1
"""Share of the pre-training spent warming the learning rate up."""


def encoder_for(cfg: Config, vocab_size: int) -> SentenceEncoder:
    t = cfg.text2image
    return SentenceEncoder(
        vocab_size, t.max_length, t.text_width, t.text_layers, t.text_heads, t.text_dim
    )


def generator_for(cfg: Config) -> DFGANGenerator:
    size = cfg.data.size[0]
    return DFGANGenerator(
        cfg.model.z_dim,
        cfg.text2image.text_dim,
        cfg.data.channels,
        size,
        cfg.model.g_width,
        cfg.text2image.g_output,
    )


def pretrain_lr(images_seen: int, total: int, peak: float) -> float:
    """Linear warm-up over the first WARMUP of the pre-training, then a cosine decay to 0."""
    if total <= 0:
        return 0.0
    t = min(images_seen / total, 1.0)
    if t < WARMUP:
        return peak * max(t / WARMUP, 0.01)
    return peak * 0.5 * (1 + math.cos(math.pi * (t - WARMUP) / (1 - WARMUP)))


def captions_of(data: ImageData) -> tuple[list[list[str]], list[list[str]]]:
    """(the generator's captions, every caption the encoder learns from) of each image."""
    gan = data.fields["captions"]
    more = data.fields.get("encoder_captions")
    every = [list(a) + list(b) for a, b in zip(gan, more)] if more else [list(c) for c in gan]
    return [list(c) for c in gan], every


class Text2ImageTask(TwoPlayerTask):
    """A sentence encoder pre-trained contrastively, then DF-GAN conditioned on it."""

    sections = {"text2image": Text2ImageConfig}
    log_columns: ClassVar[tuple[str, ...]] = (*GAN_COLUMNS, "te_loss")
    extra_columns: ClassVar[tuple[str, ...]] = ("te_acc", "d_wrong", "magp", "kl")
    plot_panels: ClassVar[Panels] = (
        *GAN_PANELS,
        ("text encoder pre-training", ("te_loss", "te_acc")),
    )

    def __init__(self, cfg: Config, data: ImageData, device: torch.device, precision: str) -> None:
        super().__init__(cfg, data, device, "fp32")
        if precision != "fp32":
            self.notes.append(f"text2image trains in fp32 (not {precision})")
        t = cfg.text2image
        self.t = t
        gan_caps, all_caps = captions_of(data)
        self.tokenizer = WordTokenizer.build(
            [c for caps in all_caps for c in caps], t.min_count, t.vocab_size, t.max_length
        )
        keys: dict[str, int] = {}
        self.all_caps = CaptionTable.build(all_caps, self.tokenizer, keys).to(device)
        self.gan_caps = CaptionTable.build(gan_caps, self.tokenizer, keys).to(device)
        for note in self.gan_caps.encoding.notes(4):
            self.notes.append(f"captions: {note}")
        self.examples = self._examples(gan_caps)

        self.text = encoder_for(cfg, len(self.tokenizer)).to(device)
        size = cfg.data.size[0]
        self.image_enc = ImageEncoder(cfg.data.channels, size, t.image_width, t.text_dim).to(device)
        self.G = generator_for(cfg).to(device)
        self.D = DFGANDiscriminator(t.text_dim, cfg.data.channels, size, cfg.model.d_width)
        self.D.to(device)
        self.ca = (
            ConditioningAugmentation(t.text_dim, t.text_dim).to(device)
            if t.conditioning_augmentation
            else None
        )
        g_params = list(self.G.parameters()) + (list(self.ca.parameters()) if self.ca else [])
        self.opt_g = make_optimizer(g_params, cfg.g_optim)
        self.opt_d = make_optimizer(self.D.parameters(), cfg.d_optim)
        te_params = list(self.text.parameters()) + list(self.image_enc.parameters())
        self.opt_te = torch.optim.AdamW(te_params, lr=t.pretrain_lr, weight_decay=0.01)
        self.loss_name = "hinge" if cfg.loss.name == "auto" else cfg.loss.name
        self.d_loss_fn, self.g_loss_fn = LOSSES[self.loss_name]
        self.images = data.images.to(device)
        self.sampler = IndexSampler(len(data), cfg.train.batch_size, cfg.train.seed, device)
        self.schedule_start = t.pretrain_images
        self.seen = 0
        """Images of this run's batches so far (decides the pre-training; checkpointed)."""
        self.pretraining = t.pretrain_images > 0
        self._sentences: Tensor | None = None  # (M, E) frozen sentence vectors, built once
        if cfg.runtime.compile:
            self.notes.append("runtime.compile: the text2image task runs eagerly")

    def _examples(self, gan_caps: list[list[str]]) -> list[str]:
        """The first caption of each of the first images, distinct strings, EXAMPLES of them."""
        out: list[str] = []
        for caps in gan_caps:
            if caps[0] not in out:
                out.append(caps[0])
            if len(out) == EXAMPLES:
                break
        return out

    # ------------------------------------------------------------------ config and data
    @classmethod
    def check_config(cls, cfg: Config) -> None:
        choice(cfg.loss.name, ("auto", *LOSSES), "loss.name")
        d, tc = cfg.data, cfg.train
        if d.is_toy:
            raise GanforgeError("model.task=text2image makes images: data.source cannot be a toy")
        h, w = d.size
        if h != w or h < 8 or h & (h - 1):
            raise GanforgeError(
                f"data.resolution={d.resolution}: text2image makes square images with a side "
                "that is a power of two, at least 8 (e.g. 32 or 64)"
            )
        if tc.n_critic != 1:
            raise GanforgeError(
                f"train.n_critic={tc.n_critic}: text2image takes one D step per G step (DF-GAN); "
                "set train.n_critic=1"
            )
        if tc.eval_every > 0:
            raise GanforgeError(
                "train.eval_every: a text2image run is scored by `ganforge eval RUN` (FD, "
                "R-precision, caption agreement): set train.eval_every=0"
            )
        if cfg.loss.gp_weight > 0 or cfg.loss.r1_gamma > 0 or cfg.loss.clip > 0:
            raise GanforgeError(
                "model.task=text2image regularises D with text2image.magp_weight (MA-GP): set "
                "loss.gp_weight, loss.r1_gamma and loss.clip to 0"
            )

    @classmethod
    def load_data(cls, cfg: Config) -> ImageData:
        data = load_data(cfg.data, cfg.train.seed, ("images",), task=cfg.model.task)
        if "captions" not in data.fields:
            raise GanforgeError(
                f"data.source={cfg.data.source} has no captions; model.task=text2image needs "
                "captioned data: use --data captioned:PATH (metadata.jsonl or sidecar .txt) or "
                "fashion-captions"
            )
        data.report.update(task=cfg.model.task)
        return data

    # ------------------------------------------------------------------ what the Trainer steps
    @property
    def generators(self) -> dict[str, nn.Module]:
        return {"G": self.G, **({"CA": self.ca} if self.ca is not None else {})}

    @property
    def discriminators(self) -> dict[str, nn.Module]:
        return {"D": self.D}

    @property
    def nets(self) -> dict[str, nn.Module]:
        return {**super().nets, "text": self.text, "image": self.image_enc}

    @property
    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {**super().optimizers, "TE": self.opt_te}

    def phases(self) -> list[Phase]:
        # One batch an iteration: the TE phase draws it, D and G reuse it.
        return [
            Phase("TE", "TE", self.te_loss),
            Phase("D", "D", self.d_loss, fresh_batch=False, after_step=self._after_d),
            Phase("G", "G", self.g_loss, fresh_batch=False, frozen=("D",)),
        ]

    def hyperparameters(self, images_seen: int) -> dict[str, Any]:
        peak, total = self.t.pretrain_lr, self.t.pretrain_images
        return {"lr": {"TE": pretrain_lr(images_seen, total, peak)}}

    def run_files(self) -> dict[str, bytes]:
        return {"tokenizer.json": self.tokenizer.to_json().encode("utf-8")}

    def extra_state(self) -> dict[str, Any]:
        return {
            **super().extra_state(),
            "seen": self.seen,
            "tokenizer": self.tokenizer.to_json(),
            "examples": list(self.examples),
        }

    def load_extra_state(self, state: dict[str, Any]) -> None:
        super().load_extra_state(state)
        if state.get("tokenizer") != self.tokenizer.to_json():
            raise GanforgeError(
                "the checkpoint's vocabulary differs from the one the data's captions give now: "
                "resume with the data and text2image settings the run was started with"
            )
        self.seen = int(state["seen"])
        self.pretraining = self.seen < self.t.pretrain_images
        self._sentences = None

    def draw(self) -> Tensor:
        return self.sampler.next()

    def make_batch(self, draw: Tensor, gen: torch.Generator) -> Batch:
        img = draw.to(self.device)
        x = to_model_range(self.images[img])
        u = torch.rand(2, len(img), generator=gen, device=self.device)
        return x, img, self.all_caps.pick(img, u[0]), self.gan_caps.pick(img, u[1])

    # ------------------------------------------------------------------ phases
    def te_loss(self, batch: Batch, gen: torch.Generator, measure: bool, carry: Any):
        """DAMSM's sentence loss on the batch's images and one caption each (pre-training)."""
        x, img, row, _ = batch
        self.pretraining = self.seen < self.t.pretrain_images
        self.seen += len(img)
        if not self.pretraining:
            return None
        self.text.train()
        caps = self.all_caps
        e_img = self.image_enc(x)  # (B, E)
        e_txt = self.text(caps.ids[row]).sentence  # (B, E)
        positives = same_key_mask(img, caps.key[row])  # same image or the same caption text
        loss = contrastive_loss(e_img, e_txt, self.t.contrastive_scale, positives)
        out = {"te_loss": loss.detach()}
        if measure:  # image -> caption retrieval within the batch
            sim = similarity(e_img.detach(), e_txt.detach())
            out["te_acc"] = positives[torch.arange(len(sim)), sim.argmax(1)].float().mean()
        return PhaseLoss(loss, out)

    @torch.no_grad()
    def sentences(self) -> Tensor:
        """(M, E) the frozen sentence vectors of every generator caption (built once)."""
        if self._sentences is None:
            self.text.eval().requires_grad_(False)
            # Each distinct caption once: a data set's captions repeat ("a dark coat").
            keys, inverse = torch.unique(self.gan_caps.key, return_inverse=True)
            rows = torch.zeros(len(keys), dtype=torch.long, device=self.device)
            rows.scatter_(0, inverse, torch.arange(len(inverse), device=self.device))
            ids = self.gan_caps.ids[rows]  # (K, L), one row per distinct caption
            vectors = torch.cat(
                [
                    sentence_condition(self.text(ids[i : i + 2048]).sentence)
                    for i in range(0, len(ids), 2048)
                ]
            )
            self._sentences = vectors[inverse]  # (M, E)
        return self._sentences

    def _condition(self, s: Tensor, gen: torch.Generator):
        if self.ca is None:
            return s, None
        aug = self.ca(s, generator=gen)
        return aug.c, aug

    def d_loss(self, batch: Batch, gen: torch.Generator, measure: bool, carry: Any):
        if self.pretraining:
            return None
        x, img, _, row = batch
        t = self.t
        s = self.sentences()[row]  # (B, E)
        z = torch.randn(len(x), self.G.z_dim, generator=gen, device=self.device)
        with torch.no_grad():
            fake = self.G(z, self._condition(s, gen)[0])
        gp = t.magp_weight > 0 and self.d_steps % t.magp_every == 0
        x_in = x.detach().requires_grad_(gp)
        s_in = s.clone().requires_grad_(gp)
        feats = self.D.features(x_in)
        real_right = self.D.judge(feats, s_in)
        fake_right = self.D(fake, s)
        out = {
            "d_real": discriminator_prob(real_right.detach(), self.loss_name).mean(),
            "d_fake": discriminator_prob(fake_right.detach(), self.loss_name).mean(),
        }
        if t.matching_aware:
            partner, valid = cyclic_mismatch([img, self.gan_caps.key[row]], gen)
            real_wrong = self.D.judge(feats[valid], s[partner][valid])
            loss = matching_aware_d_loss(self.d_loss_fn, real_right, fake_right, real_wrong)
            out["d_wrong"] = discriminator_prob(real_wrong.detach(), self.loss_name).mean()
        else:
            loss = self.d_loss_fn(real_right, fake_right)
        out["d_loss"] = loss.detach()
        if gp:
            penalty = matching_aware_gp(real_right, x_in, s_in, t.magp_power)
            loss = loss + t.magp_weight * t.magp_every * penalty
            out["magp"] = penalty.detach()
        return PhaseLoss(loss, out, carry=z)

    def g_loss(self, batch: Batch, gen: torch.Generator, measure: bool, carry: Any):
        if self.pretraining:
            return None
        x, img, _, row = batch
        t = self.t
        s = self.sentences()[row]
        z = carry
        if z is None:
            z = torch.randn(len(x), self.G.z_dim, generator=gen, device=self.device)
        c, aug = self._condition(s, gen)
        loss = self.g_loss_fn(self.D(self.G(z, c), s))
        out = {}
        if t.interpolate:  # GAN-INT: captions' midpoints, which have no image
            mix = s[torch.randperm(len(s), generator=gen, device=gen.device).to(s.device)]
            s_int = interpolate_embeddings(s, mix, 0.5)
            c_int = self._condition(s_int, gen)[0]
            z2 = torch.randn(len(x), self.G.z_dim, generator=gen, device=self.device)
            loss = loss + self.g_loss_fn(self.D(self.G(z2, c_int), s_int))
        if aug is not None:
            kl = kl_standard_normal(aug.mu, aug.logvar)
            loss = loss + t.kl_weight * kl
            out["kl"] = kl.detach()
        out["g_loss"] = loss.detach()
        return PhaseLoss(loss, out)

    # ------------------------------------------------------------------ sample grids
    def fixed_inputs(self, n: int, seed: int) -> dict[str, Tensor]:
        """One row per example caption, the same noise in every column."""
        rows = min(len(self.examples), max(1, round(n**0.5)))
        cols = max(1, n // rows)
        gen = torch.Generator().manual_seed(seed + 12345)
        z = torch.randn(cols, self.G.z_dim, generator=gen).repeat(rows, 1)
        ids = self.tokenizer.encode(self.examples[:rows]).ids.repeat_interleave(cols, 0)
        return {"z": z.to(self.device), "ids": ids.to(self.device)}

    @torch.no_grad()
    def generate(self, nets: dict[str, nn.Module], inputs: dict[str, Tensor]) -> Tensor:
        model = TextToImage(nets["text"], nets["G"], nets.get("CA"), inputs["ids"][:1])
        return model(inputs["z"], inputs["ids"]).float()

    @property
    def grid_nrow(self) -> int:
        rows = min(len(self.examples), max(1, round(self.cfg.train.grid_size**0.5)))
        return max(1, self.cfg.train.grid_size // rows)

    # ------------------------------------------------------------------ inference and evaluation
    @classmethod
    def open(
        cls,
        cfg: Config,
        state: dict[str, Any],
        ema: bool = True,
        device: str | torch.device = "cpu",
        **options: Any,
    ) -> tuple[TextGenerator, bool]:
        refuse_options(options, "does not apply to a text2image run: leave it out")
        saved = state.get("task") if isinstance(state.get("task"), dict) else {}
        text_json, examples = saved.get("tokenizer"), saved.get("examples")
        if not isinstance(text_json, str) or not isinstance(examples, list):
            raise GanforgeError("the checkpoint holds no tokenizer: it is not a text2image run's")
        tokenizer = WordTokenizer.from_json(text_json, "the checkpoint's tokenizer")
        examples = [e for e in examples if isinstance(e, str)][:EXAMPLES] or ["a picture"]
        encoder = encoder_for(cfg, len(tokenizer))
        load_weights(encoder, pick_weights(state, "text", False)[0], "sentence encoder")
        weights, used_ema = pick_weights(state, "G", ema)
        G = generator_for(cfg)
        load_weights(G, weights, "text-to-image generator G")
        ca = None
        if cfg.text2image.conditioning_augmentation:
            ca = ConditioningAugmentation(cfg.text2image.text_dim, cfg.text2image.text_dim)
            load_weights(ca, pick_weights(state, "CA", False)[0], "conditioning augmentation")
        prompts = tokenizer.encode(examples).ids
        net = TextToImage(encoder, G, ca, prompts).to(device).eval().requires_grad_(False)
        shape = (cfg.data.channels, *cfg.data.size)
        return TextGenerator(net, tokenizer, shape, examples), used_ema

    @classmethod
    def evaluate(cls, run: Any, options: EvalOptions, say=print) -> dict[str, Any]:
        return evaluate_text_model(run, cls.load_data, Path(run.run_dir), options, say)
