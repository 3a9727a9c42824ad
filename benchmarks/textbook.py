"""The textbook training loops ganforge is measured against (speed.py, quality.py).

They use the very same generator and discriminator classes as ganforge, so architecture and batch
are identical; what differs is the loop around them, written the way tutorials write it:

- DCGAN: the PyTorch DCGAN tutorial. A DataLoader over a TensorDataset of float images, D ending in
  a Sigmoid with BCELoss, a D step on real then on fake, then a G step through the same fake batch,
  and ``.item()`` on the losses every step.
- SNGAN: the common public SNGAN loop (Miyato et al. 2018, hinge loss, Adam(0, 0.9), n_critic 5):
  each D step takes a fresh real batch from the DataLoader and fresh noise, the G step fresh noise,
  ``.item()`` on the losses every step.

``compile`` wraps G and D in ``torch.compile``; ``precision="bf16"`` runs the forward passes under
bf16 autocast (the losses in fp32, since BCELoss refuses autocast).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from torch import nn

from ganforge.models import build_discriminator, build_generator


def _setup(cfg, images: torch.Tensor, device: str, compile: bool, precision: str, sigmoid: bool):
    torch.manual_seed(0)
    G = build_generator(cfg).to(device)
    D = build_discriminator(cfg)
    D = (nn.Sequential(D, nn.Sigmoid()) if sigmoid else D).to(device)
    data = images.float() / 127.5 - 1
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(data),
        batch_size=cfg.train.batch_size,
        shuffle=True,
        drop_last=True,
    )
    g, d = (torch.compile(G), torch.compile(D)) if compile else (G, D)

    def autocast():
        if precision != "bf16":
            return contextlib.nullcontext()
        return torch.autocast(torch.device(device).type, dtype=torch.bfloat16)

    return G, D, g, d, loader, autocast


def textbook_loop(
    cfg,
    images: torch.Tensor,
    device: str = "cpu",
    compile: bool = False,
    precision: str = "fp32",
) -> Iterator[nn.Module]:
    """The DCGAN tutorial loop, endless: yields the generator after every D-then-G step.

    ``images`` are uint8 (N, C, H, W); the loop sees them as floats in [-1, 1], shuffled each epoch.
    """
    G, D, g, d, loader, autocast = _setup(cfg, images, device, compile, precision, sigmoid=True)
    B = cfg.train.batch_size
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    criterion = nn.BCELoss()
    while True:
        for (real,) in loader:
            real = real.to(device)
            # (1) update D: maximise log D(x) + log(1 - D(G(z)))
            D.zero_grad()
            with autocast():
                out = d(real).view(-1).float()
            err_real = criterion(out, torch.ones_like(out))
            err_real.backward()
            with autocast():
                fake = g(torch.randn(B, cfg.model.z_dim, device=device))
                out = d(fake.detach()).view(-1).float()
            err_fake = criterion(out, torch.zeros_like(out))
            err_fake.backward()
            opt_d.step()
            # (2) update G: maximise log D(G(z))
            G.zero_grad()
            with autocast():
                out = d(fake).view(-1).float()
            err_g = criterion(out, torch.ones_like(out))
            err_g.backward()
            opt_g.step()
            _ = (err_real + err_fake).item(), err_g.item()  # the tutorial logs every step
            yield G


def textbook_sngan_loop(
    cfg,
    images: torch.Tensor,
    device: str = "cpu",
    compile: bool = False,
    precision: str = "fp32",
) -> Iterator[nn.Module]:
    """The usual SNGAN loop, endless: yields the generator after n_critic D steps and one G step."""
    G, D, g, d, loader, autocast = _setup(cfg, images, device, compile, precision, sigmoid=False)
    B, z_dim = cfg.train.batch_size, cfg.model.z_dim
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.0, 0.9))
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.0, 0.9))

    def reals() -> Iterator[torch.Tensor]:
        while True:
            for (real,) in loader:
                yield real.to(device)

    batches = reals()
    while True:
        for _ in range(cfg.train.n_critic):
            real = next(batches)
            with torch.no_grad(), autocast():
                fake = g(torch.randn(B, z_dim, device=device))
            with autocast():
                real_out, fake_out = d(real).float(), d(fake).float()
            loss_d = torch.relu(1 - real_out).mean() + torch.relu(1 + fake_out).mean()
            opt_d.zero_grad()
            loss_d.backward()
            opt_d.step()
            _ = loss_d.item()
        with autocast():
            loss_g = -d(g(torch.randn(B, z_dim, device=device))).float().mean()
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        _ = loss_g.item()
        yield G


def textbook_for(cfg):
    """The textbook loop of a preset's architecture: SNGAN's for ResNets, DCGAN's otherwise."""
    return textbook_sngan_loop if cfg.model.arch == "resnet" else textbook_loop
