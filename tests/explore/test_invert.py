import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from ganforge.errors import GanforgeError
from ganforge.explore import latents as L
from ganforge.explore.invert import discriminator_features, invert, load_target
from ganforge.explore.sample import generate
from ganforge.images import to_uint8
from ganforge.models.dcgan import DCGANGenerator
from ganforge.runs import load_run

WHITE = (255, 255, 255)


def _lively_generator() -> DCGANGenerator:
    """The tiny trained runs barely depend on z (16 steps on noise): recovering their images
    would prove nothing. Kaiming-initialised weights make every z draw a clearly different image."""
    torch.manual_seed(0)
    G = DCGANGenerator(z_dim=16, channels=1, resolution=32, width=8)
    for m in G.modules():
        if isinstance(m, nn.ConvTranspose2d):
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
    return G.eval().requires_grad_(False)


def test_inversion_recovers_a_generated_image(dcgan_run):
    G = _lively_generator()
    D = load_run(dcgan_run).build_discriminator().requires_grad_(False)
    target = generate(G, L.latents(123, [0], 16))  # an image G can make exactly
    others = generate(G, L.latents(0, range(16), 16))
    spread = ((others - target) / 2).pow(2).mean(dim=(1, 2, 3))  # (16,) MSE to random samples
    res = invert(G, target, D=D, steps=150, restarts=2, candidates=16)
    assert res.initial_mse == pytest.approx(float(spread.min()), rel=1e-5)  # best of the 16
    assert res.mse < 1e-4 and res.mse < res.initial_mse / 10  # PSNR above 40 dB
    assert all(b <= a for a, b in zip(res.history, res.history[1:]))  # best-so-far never worsens
    assert res.z.shape == (16,) and res.image.shape == target.shape
    assert torch.allclose(generate(G, res.z[None]), res.image)


def test_feature_loss_is_differentiable_in_the_image(dcgan_run):
    run = load_run(dcgan_run)
    phi = discriminator_features(run.build_discriminator().requires_grad_(False))
    x = torch.zeros(2, 1, 32, 32, requires_grad=True)
    f = phi(x, None)
    assert f.shape == (2, 32 * 4 * 4)
    f.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_target_is_prepared_like_the_training_data(tmp_path):
    gray = np.arange(32 * 32, dtype=np.uint8).reshape(32, 32)
    Image.fromarray(gray).save(tmp_path / "ok.png")
    x, notes = load_target(tmp_path / "ok.png", 1, 32, WHITE)
    assert notes == [] and x.shape == (1, 1, 32, 32)
    assert torch.equal(to_uint8(x)[0, 0], torch.from_numpy(gray))

    Image.new("RGB", (100, 80), (200, 10, 10)).save(tmp_path / "photo.png")
    x, notes = load_target(tmp_path / "photo.png", 1, 32, WHITE)
    assert x.shape == (1, 1, 32, 32)
    assert any("100x80; resized" in n for n in notes) and any(
        "RGB; converted to L" in n for n in notes
    )

    (tmp_path / "fake.png").write_bytes(b"not an image")
    with pytest.raises(GanforgeError, match="not an image Pillow can read"):
        load_target(tmp_path / "fake.png", 1, 32, WHITE)
    with pytest.raises(GanforgeError, match="does not exist"):
        load_target(tmp_path / "missing.png", 1, 32, WHITE)
