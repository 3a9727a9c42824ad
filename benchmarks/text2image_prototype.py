"""Prototype of text-to-image on the shipped Fashion-MNIST (issue #24): can a CPU reach the demo's
targets (class agreement >= 60%, dark/light agreement >= 75% on held-out wording), and how?

Only the leaf modules are used (no task, trainer or CLI yet):

1. Captions (``text/fashion_captions.py``): properties measured on the 10,000 embedded test images,
   per-class thresholds, 5 TRAIN-wording and 3 HELD-OUT-wording captions per image, and 1,000
   evaluation captions in HELD-OUT wording that always name the brightness when the image has one.
2. A word-level tokenizer (``text/tokenizer.py``) built on all captions.
3. Contrastive pre-training (``losses/contrastive.py``, DAMSM's sentence loss) of the sentence
   encoder and a small image encoder on images 0..8999 with captions of both wordings; reported:
   mean cosine of matching and of mismatched pairs, and top-1 caption retrieval among 100
   candidates (R-precision of real images) on images 9000..9999 with HELD-OUT captions. A second
   pair with another seed is the evaluation encoder of R-precision for generated images.
4. DF-GAN (``models/dfgan.py``) on the frozen sentence vectors of TRAIN-wording captions only:
   hinge loss, matching-aware D with mismatched pairs (``losses/matching.py``), MA-GP k=2 p=6
   (``losses/magp.py``; lazily every 4th D step with weight x4 by default, to save its double
   backward), Adam (0, 0.9), batch 32, lr G 2e-4 / D 4e-4 (the reference has 1e-4 / 4e-4, which
   learnt the conditioning several times slower per image here), optional conditioning
   augmentation and GAN-INT. Every ``--eval-every`` images, the EMA generator draws
   one image per evaluation caption; class agreement (the shipped classifier) and attribute
   agreement (``fashion_captions.agreement``) are printed, beside the caption-blind baseline (the
   same images scored against a shuffled caption list: what an unconditional model scores).

    python benchmarks/text2image_prototype.py --minutes 15 --eval-encoder --cache /tmp/t2i --out /tmp/t2i.json
    python benchmarks/text2image_prototype.py --pretrain-steps 200 --minutes 2 --width 16

``--cache`` keeps the pre-trained encoders for the next run; ``--out`` writes the report (JSON),
a grid of EMA samples for the first 64 evaluation captions (.png) and those captions (.txt).

The timings depend on the machine and its load: a CPU shared with other jobs can run several
times slower than an idle one (and far slower with 2 threads than with 1: ``--threads``). Read
images seen, not minutes, as the measure of progress.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from ganforge.config import DataConfig
from ganforge.data import load_data
from ganforge.images import save_grid
from ganforge.losses.adversarial import d_hinge
from ganforge.losses.contrastive import contrastive_loss, same_key_mask, similarity
from ganforge.losses.kl import kl_standard_normal
from ganforge.losses.magp import matching_aware_gp
from ganforge.losses.matching import (
    interpolate_embeddings,
    matching_aware_d_loss,
    mismatch_indices,
)
from ganforge.metrics.fmnist_net import FmnistFeatures, load_fmnist_net
from ganforge.models.conditioning_augmentation import ConditioningAugmentation
from ganforge.models.dfgan import DFGANDiscriminator, DFGANGenerator
from ganforge.text.encoder import SentenceEncoder
from ganforge.text.fashion_captions import agreement, caption_targets, make_captions
from ganforge.text.fashion_properties import fit_thresholds, measure, name_properties
from ganforge.text.image_encoder import ImageEncoder
from ganforge.text.tokenizer import WordTokenizer

N_VAL = 1000  # images 9000..9999 check the encoder; the GAN trains on all 10,000


def to_float(images: torch.Tensor) -> torch.Tensor:
    return images.float() / 127.5 - 1.0


def to_uint8(x: torch.Tensor) -> torch.Tensor:
    return ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)


class Captions:
    """Captions of every image as one flat list: text, image index, caption id (equal strings
    share an id), and the token ids."""

    def __init__(self, per_image: list[list[str]], tokenizer: WordTokenizer) -> None:
        self.text = [c for caps in per_image for c in caps]
        self.image = torch.tensor([i for i, caps in enumerate(per_image) for _ in caps])
        ids: dict[str, int] = {}
        self.caption_id = torch.tensor([ids.setdefault(c, len(ids)) for c in self.text])
        self.ids = tokenizer.encode(self.text).ids
        self.per_image = len(per_image[0])


def build_captions(images: torch.Tensor, labels: torch.Tensor, seed: int) -> dict[str, Any]:
    props = measure(images)
    thr = fit_thresholds(props, labels)
    named = name_properties(props, labels, thr)
    train = make_captions(labels, named, per_image=5, seed=seed)
    held = make_captions(labels, named, per_image=3, held_out=True, seed=seed + 1)
    # Evaluation: 1,000 images' held-out captions that name the brightness whenever it is named.
    rng = torch.Generator().manual_seed(seed + 2)
    pick = torch.randperm(len(labels), generator=rng)[:1000]
    sub = {k: v[pick] for k, v in named.items()}
    ev_held = [
        c[0] for c in make_captions(labels[pick], sub, 1, True, seed + 3, always=("brightness",))
    ]
    ev_train = [
        c[0] for c in make_captions(labels[pick], sub, 1, False, seed + 4, always=("brightness",))
    ]
    return dict(thr=thr, train=train, held=held, eval_held=ev_held, eval_train=ev_train)


def pretrain_cached(
    cache: Path | None, name: str, *args: Any
) -> tuple[SentenceEncoder, ImageEncoder, list[float]]:
    """:func:`pretrain`, or its result from ``cache`` (a folder) when the same arguments ran before."""
    path = None
    if cache is not None:
        path = cache / f"{name}-{'-'.join(str(a) for a in args[2:])}.pt"
        if path.is_file():
            state = torch.load(path)
            text, image, _ = pretrain(*args[:4], 0, *args[5:])
            text.load_state_dict(state["text"])
            image.load_state_dict(state["image"])
            return text.eval(), image.eval(), state["losses"]
    text, image, losses = pretrain(*args)
    if path is not None:
        cache.mkdir(parents=True, exist_ok=True)
        torch.save({"text": text.state_dict(), "image": image.state_dict(), "losses": losses}, path)
    return text, image, losses


def pretrain(
    images: torch.Tensor,
    caps: Captions,
    vocab: int,
    max_length: int,
    steps: int,
    batch: int,
    seed: int,
    dim: int,
) -> tuple[SentenceEncoder, ImageEncoder, list[float]]:
    """Contrastive pre-training on images 0..N-N_VAL-1 with all their captions."""
    torch.manual_seed(seed)
    text = SentenceEncoder(vocab, max_length, width=128, layers=2, heads=4, out_dim=dim)
    image = ImageEncoder(1, images.shape[-1], width=16, out_dim=dim)
    params = list(text.parameters()) + list(image.parameters())
    opt = torch.optim.AdamW(params, lr=1e-3, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 1e-3, total_steps=max(steps, 1), pct_start=0.1)
    n_train = len(images) - N_VAL
    gen = torch.Generator().manual_seed(seed)
    losses = []
    for _ in range(steps):
        idx = torch.randperm(n_train, generator=gen)[:batch]  # distinct images
        k = torch.randint(caps.per_image, (batch,), generator=gen)
        c = idx * caps.per_image + k  # one caption of each
        pos = same_key_mask(idx, caps.caption_id[c])
        loss = contrastive_loss(image(to_float(images[idx])), text(caps.ids[c]).sentence, 10.0, pos)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())
    return text.eval(), image.eval(), losses


@torch.no_grad()
def retrieval(
    text: SentenceEncoder,
    image: ImageEncoder,
    images: torch.Tensor,
    caption_ids: torch.Tensor,
    caption_key: torch.Tensor,
    seed: int,
) -> dict[str, float]:
    """images (N, 1, S, S) uint8 and one caption each: mean cosine of matching and mismatched
    pairs, and R-precision: the true caption ranked first among itself and 99 captions of other
    images whose text differs (AttnGAN's protocol, ties counted as failures)."""
    e_img = image(to_float(images))
    e_txt = text(caption_ids).sentence
    sim = similarity(e_img, e_txt)  # (N, N)
    n = len(sim)
    diff = caption_key[:, None] != caption_key[None, :]
    matched = sim.diagonal().mean().item()
    mismatched = sim[diff].mean().item()
    gen = torch.Generator().manual_seed(seed)
    hits = 0
    for i in range(n):
        others = diff[i].nonzero().squeeze(1)
        others = others[torch.randperm(len(others), generator=gen)[:99]]
        hits += int((sim[i, others] < sim[i, i]).all())
    return {"cos_matched": matched, "cos_mismatched": mismatched, "r_precision": hits / n}


def sentence_vectors(text: SentenceEncoder, ids: torch.Tensor, chunk: int = 2048) -> torch.Tensor:
    """Frozen sentence vectors, L2-normalised and scaled to norm sqrt(E) (unit variance per
    component, the scale the affines' MLPs expect of an input)."""
    with torch.no_grad():
        s = torch.cat([text(ids[i : i + chunk]).sentence for i in range(0, len(ids), chunk)])
    return F.normalize(s, dim=1) * s.shape[1] ** 0.5


@torch.no_grad()
def evaluate(
    G: DFGANGenerator,
    ca: ConditioningAugmentation | None,
    s: torch.Tensor,
    texts: list[str],
    classifier: FmnistFeatures,
    thr: Any,
    seed: int,
    eval_pair: tuple[SentenceEncoder, ImageEncoder, torch.Tensor] | None,
) -> dict[str, Any]:
    gen = torch.Generator().manual_seed(seed)
    z = torch.randn(len(s), G.z_dim, generator=gen)
    cond = s if ca is None else ca(s, sample=False).c
    fakes = to_uint8(
        torch.cat([G(z[i : i + 250], cond[i : i + 250]) for i in range(0, len(s), 250)])
    )
    pred = classifier(fakes)["logits"].argmax(1)
    props = measure(fakes)
    targets = [caption_targets(t) for t in texts]
    out: dict[str, Any] = {"agree": agreement(targets, pred, props, thr)}
    # Caption-blind baseline: the same images judged against other captions.
    perm = torch.randperm(len(texts), generator=gen).tolist()
    out["blind"] = agreement([targets[j] for j in perm], pred, props, thr)
    out["class_histogram"] = torch.bincount(pred, minlength=10).tolist()
    out["fakes"] = fakes[:64]
    if eval_pair is not None:
        text_e, image_e, ids = eval_pair
        key = torch.tensor([hash(t) for t in texts])
        out["gen_retrieval"] = retrieval(text_e, image_e, fakes, ids, key, seed)
    return out


def fmt(result: dict[str, Any]) -> str:
    a, b = result["agree"], result["blind"]
    parts = [f"{k} {a[k][0]:.3f} (blind {b[k][0]:.3f}, n={a[k][1]})" for k in a]
    if "gen_retrieval" in result:
        parts.append(f"R-prec {result['gen_retrieval']['r_precision']:.3f}")
    return " | ".join(parts)


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--pretrain-steps", type=int, default=400)
    p.add_argument("--pretrain-batch", type=int, default=64)
    p.add_argument("--dim", type=int, default=128, help="sentence vector size")
    p.add_argument(
        "--eval-encoder", action="store_true", help="train a second encoder pair for R-precision"
    )
    p.add_argument("--minutes", type=float, default=10.0, help="GAN training time budget")
    p.add_argument("--images", type=float, default=1e9, help="GAN training budget in images")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--width", type=int, default=16, help="DF-GAN w (G and D)")
    p.add_argument("--lr-g", type=float, default=2e-4)
    p.add_argument("--lr-d", type=float, default=4e-4)
    p.add_argument("--gp-weight", type=float, default=2.0, help="MA-GP k")
    p.add_argument(
        "--gp-every", type=int, default=1, help="lazy MA-GP: every N D steps, weight x N"
    )
    p.add_argument(
        "--ca", action="store_true", help="conditioning augmentation (StackGAN), KL weight 1"
    )
    p.add_argument(
        "--gan-int", action="store_true", help="GAN-INT: G loss on interpolated sentences"
    )
    p.add_argument("--eval-every", type=float, default=10_000)
    p.add_argument("--ema-images", type=float, default=2_000, help="EMA half-life in images")
    p.add_argument(
        "--threads", type=int, default=1, help="1: a shared CPU runs 2 threads far slower"
    )
    p.add_argument("--seed", type=int, default=0, help="captions and encoders")
    p.add_argument("--gan-seed", type=int, default=0, help="the GAN's initialisation and batches")
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--cache", type=Path, default=None, help="folder keeping pre-trained encoders")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    t_start = time.time()
    report: dict[str, Any] = {"args": {k: str(v) for k, v in vars(args).items()}}

    # 1. Captions and tokenizer.
    data = load_data(DataConfig(split="test", resolution=32))
    images, labels = data.images, data.labels
    c = build_captions(images, labels, args.seed)
    tok = WordTokenizer.build(
        [t for caps in c["train"] + c["held"] for t in caps], min_count=1, max_length=16
    )
    both = [a + b for a, b in zip(c["train"], c["held"])]
    caps_all = Captions(both, tok)
    caps_train = Captions(c["train"], tok)
    print(f"vocabulary {len(tok)} words; e.g. {c['train'][0][:2]} / {c['held'][0][:2]}")
    print(f"[{time.time() - t_start:.0f}s] captions ready")

    # 2. Contrastive pre-training; the check on images 9000..9999 with held-out captions.
    text, image, losses = pretrain_cached(
        args.cache,
        "gen",
        images,
        caps_all,
        len(tok),
        tok.max_length,
        args.pretrain_steps,
        args.pretrain_batch,
        args.seed,
        args.dim,
    )
    val = torch.arange(len(images) - N_VAL, len(images))
    val_caps = [c["held"][i][0] for i in val.tolist()]
    enc = tok.encode(val_caps)
    key = torch.tensor([hash(t) for t in val_caps])
    check = retrieval(text, image, images[val], enc.ids, key, args.seed)
    val_train_caps = [c["train"][i][0] for i in val.tolist()]
    check_train = retrieval(
        text,
        image,
        images[val],
        tok.encode(val_train_caps).ids,
        torch.tensor([hash(t) for t in val_train_caps]),
        args.seed,
    )
    report["pretrain"] = {
        "loss_first_last": [sum(losses[:20]) / 20, sum(losses[-20:]) / 20] if losses else None,
        "held_out_wording": check,
        "train_wording": check_train,
        "seconds": time.time() - t_start,
    }
    print(f"[{time.time() - t_start:.0f}s] pre-training: {report['pretrain']}")
    eval_pair = None
    if args.eval_encoder:
        text_e, image_e, _ = pretrain_cached(
            args.cache,
            "eval",
            images,
            caps_all,
            len(tok),
            tok.max_length,
            args.pretrain_steps,
            args.pretrain_batch,
            args.seed + 100,
            args.dim,
        )
        eval_pair = (text_e, image_e, tok.encode(c["eval_held"]).ids)
        real = retrieval(text_e, image_e, images[val], enc.ids, key, args.seed)
        report["eval_encoder_real_val"] = real
        print(f"[{time.time() - t_start:.0f}s] evaluation encoder on real val images: {real}")

    # 3. Frozen sentence vectors of the TRAIN-wording captions; the evaluation captions'.
    s_train = sentence_vectors(text, caps_train.ids)
    s_eval = sentence_vectors(text, tok.encode(c["eval_held"]).ids)
    s_eval_train = sentence_vectors(text, tok.encode(c["eval_train"]).ids)
    net, _, _ = load_fmnist_net()
    classifier = FmnistFeatures(net)

    # 4. DF-GAN.
    torch.manual_seed(args.gan_seed)
    E = args.dim
    G = DFGANGenerator(100, E, 1, 32, args.width)
    D = DFGANDiscriminator(E, 1, 32, args.width)
    ca = ConditioningAugmentation(E, E) if args.ca else None
    G_ema = DFGANGenerator(100, E, 1, 32, args.width)
    G_ema.load_state_dict(G.state_dict())
    g_params = list(G.parameters()) + (list(ca.parameters()) if ca else [])
    opt_g = torch.optim.Adam(g_params, lr=args.lr_g, betas=(0.0, 0.9))
    opt_d = torch.optim.Adam(D.parameters(), lr=args.lr_d, betas=(0.0, 0.9))
    gen = torch.Generator().manual_seed(args.gan_seed + 7)
    B, seen, step, next_eval = args.batch, 0, 0, 0.0
    ema_beta = 0.5 ** (B / args.ema_images)  # per step, from the half-life in images
    report["evals"] = []
    t_gan, train_s = time.time(), 0.0
    while True:
        train_s = time.time() - t_gan
        done = train_s > args.minutes * 60 or seen >= args.images
        if seen >= next_eval or done:  # and once more at the end
            t_eval = time.time()
            G_ema.eval()
            r = evaluate(G_ema, ca, s_eval, c["eval_held"], classifier, c["thr"], 1, eval_pair)
            r_train = evaluate(
                G_ema, ca, s_eval_train, c["eval_train"], classifier, c["thr"], 1, None
            )
            r_raw = evaluate(G.eval(), ca, s_eval, c["eval_held"], classifier, c["thr"], 1, None)
            G.train()
            minutes = train_s / 60
            r.update(
                images=seen,
                train_minutes=minutes,
                train_wording=r_train["agree"],
                raw_generator=r_raw["agree"],
            )
            if args.out:
                # The first 64 evaluation captions (listed in the .txt) and their EMA samples.
                save_grid(args.out.with_suffix(".png"), r.pop("fakes"), nrow=8)
                args.out.with_suffix(".txt").write_text("\n".join(c["eval_held"][:64]) + "\n")
            r.pop("fakes", None)
            r_train.pop("fakes", None)
            r_raw.pop("fakes", None)
            report["evals"].append(r)
            print(f"[{minutes:.1f} min, {seen} img] EMA, held-out wording: {fmt(r)}")
            print(
                f"    train wording: class {r_train['agree']['label'][0]:.3f} "
                f"brightness {r_train['agree']['brightness'][0]:.3f}; raw G held-out: class "
                f"{r_raw['agree']['label'][0]:.3f} brightness {r_raw['agree']['brightness'][0]:.3f}"
                f"; EMA classes {r['class_histogram']}",
                flush=True,
            )
            next_eval += args.eval_every
            if args.out:
                args.out.write_text(json.dumps(report, indent=1))
            t_gan += time.time() - t_eval  # evaluation time does not count as training
        if done:
            break
        idx = torch.randint(len(caps_train.text), (B,), generator=gen)
        img_ids = caps_train.image[idx]
        x = to_float(images[img_ids])
        s = s_train[idx]
        z = torch.randn(B, 100, generator=gen)
        # D phase: (real, right) -> real; (fake, right), (real, wrong) -> fake; MA-GP on reals.
        cond = s if ca is None else ca(s, generator=gen).c.detach()
        with torch.no_grad():
            fake = G(z, cond)
        do_gp = step % args.gp_every == 0
        x_in = x.requires_grad_(do_gp)
        s_in = s.clone().requires_grad_(do_gp)
        feats = D.features(x_in)
        real_right = D.judge(feats, s_in)
        partner, valid = mismatch_indices([img_ids, caps_train.caption_id[idx]], gen)
        real_wrong = D.judge(feats[valid], s[partner][valid])
        fake_right = D(fake, s)
        loss_d = matching_aware_d_loss(d_hinge, real_right, fake_right, real_wrong)
        if do_gp:
            loss_d = loss_d + args.gp_weight * args.gp_every * matching_aware_gp(
                real_right, x_in, s_in
            )
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        # G phase: hinge G loss -D(G(z, t), t); + GAN-INT on beta = 0.5 mixtures; + CA's KL.
        aug = ca(s, generator=gen) if ca is not None else None
        cond = s if aug is None else aug.c
        loss_g = -D(G(z, cond), s).mean()
        if args.gan_int:
            s_int = interpolate_embeddings(s, s[torch.randperm(B, generator=gen)], 0.5)
            c_int = s_int if ca is None else ca(s_int, generator=gen).c
            loss_g = loss_g - D(G(torch.randn(B, 100, generator=gen), c_int), s_int).mean()
        if aug is not None:
            loss_g = loss_g + kl_standard_normal(aug.mu, aug.logvar)
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        with torch.no_grad():
            for pe, pg in zip(G_ema.parameters(), G.parameters()):
                pe.lerp_(pg, 1 - ema_beta)
        seen += B
        step += 1
        if step % 50 == 0:
            rate = seen / (time.time() - t_gan)
            print(
                f"  step {step} img {seen} D {loss_d.item():.3f} G {loss_g.item():.3f} {rate:.1f} img/s"
            )
    report["gan_train_seconds"] = train_s
    report["images"] = seen
    if args.out:
        args.out.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
