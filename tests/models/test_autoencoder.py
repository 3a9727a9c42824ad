"""models/autoencoder.py: the tutorial MLP autoencoder, the DCGAN paper's denoising one, conv."""

import pytest
import torch
from torch import nn

from ganforge.errors import GanforgeError
from ganforge.models.autoencoder import (
    AutoencoderOutput,
    ConvAutoencoder,
    MLPAutoencoder,
    denoising_autoencoder,
)


def _linear_sizes(model: nn.Module) -> list[tuple[int, int]]:
    return [(m.in_features, m.out_features) for m in model.modules() if isinstance(m, nn.Linear)]


def test_the_tutorial_autoencoder_is_784_n_784():
    ae = MLPAutoencoder((1, 28, 28), [32])
    assert _linear_sizes(ae) == [(784, 32), (32, 784)] and ae.code_dim == 32
    deep = MLPAutoencoder((1, 28, 28), [256, 64])
    assert _linear_sizes(deep) == [(784, 256), (256, 64), (64, 256), (256, 784)]


@pytest.mark.parametrize("channels, pixels", [(3, 3072), (1, 1024)])
def test_the_dcgan_dedup_autoencoder_is_3072_128_3072_in_colour(channels, pixels):
    ae = denoising_autoencoder(channels)
    assert _linear_sizes(ae) == [(pixels, 128), (128, pixels)] and ae.code_dim == 128
    assert ae.noise_std > 0 and ae.code_dropout.p > 0  # denoising and dropout-regularised


@pytest.mark.parametrize(
    "make, shape",
    [
        (lambda s: MLPAutoencoder(s, [16, 8]), (1, 28, 28)),
        (lambda s: denoising_autoencoder(s[0], s[1], code_dim=8), (3, 32, 32)),
        (lambda s: ConvAutoencoder(s, 8, width=4), (1, 32, 32)),
        (lambda s: ConvAutoencoder(s, 8, width=4), (1, 28, 28)),
        (lambda s: ConvAutoencoder(s, 8, width=4), (4, 64, 96)),
        (lambda s: ConvAutoencoder(s, 8, width=4), (3, 5, 5)),
    ],
)
def test_shapes_ranges_and_the_mse_loss(make, shape):
    torch.manual_seed(0)
    ae = make(shape)
    x = torch.rand(3, *shape) * 2 - 1
    out = ae(x)
    assert isinstance(out, AutoencoderOutput)
    recon, code = out  # unpacks like a tuple
    assert recon.shape == x.shape and code.shape == (3, 8) == (3, ae.code_dim)
    assert recon.abs().max() <= 1 and code.min() >= 0  # Tanh image, ReLU code
    assert ae.encode(x).shape == (3, 8) and ae.decode(code).shape == x.shape
    loss = nn.functional.mse_loss(recon, x)
    loss.backward()  # every parameter takes part
    assert all(p.grad is not None for p in ae.parameters())


def test_the_conv_autoencoder_halves_down_to_a_small_map():
    convs = [
        m for m in ConvAutoencoder((1, 32, 32), 8, width=4).encoder if isinstance(m, nn.Conv2d)
    ]
    assert [m.out_channels for m in convs] == [4, 8, 16]  # 32 -> 16 -> 8 -> 4
    assert _linear_sizes(ConvAutoencoder((1, 28, 28), 8, width=4))[0] == (8 * 7 * 7, 8)


def test_noise_and_dropout_act_only_in_training():
    torch.manual_seed(0)
    ae = MLPAutoencoder((1, 8, 8), [16], noise_std=0.5, dropout=0.5)
    x = torch.rand(4, 1, 8, 8) * 2 - 1
    ae.eval()
    a, b = ae(x), ae(x)
    assert torch.equal(a.reconstruction, b.reconstruction) and torch.equal(a.code, b.code)
    assert torch.equal(a.code, ae.encode(x))  # eval: the clean code, decoded as it is
    assert torch.equal(a.reconstruction, ae.decode(ae.encode(x)))
    ae.train()
    c, d = ae(x), ae(x)
    assert not torch.equal(c.code, d.code)  # the input noise changes the code
    assert not torch.equal(c.code, ae.encode(x))


def test_dropout_acts_on_the_code_before_decoding():
    torch.manual_seed(0)
    ae = MLPAutoencoder((1, 4, 4), [64], noise_std=0.0, dropout=0.5).train()
    x = torch.rand(2, 1, 4, 4)
    recon, code = ae(x)
    assert torch.equal(code, ae.encode(x))  # no noise: the returned code is the clean one
    assert not torch.allclose(recon, ae.decode(code))  # but half of it was dropped


def test_corrupt_adds_gaussian_noise_of_the_given_std_in_any_mode():
    ae = MLPAutoencoder((1, 32, 32), [8], noise_std=0.2).eval()
    x = torch.zeros(64, 1, 32, 32)
    noisy = ae.corrupt(x, torch.Generator().manual_seed(0))
    assert noisy.std().item() == pytest.approx(0.2, rel=0.02)
    assert torch.equal(noisy, ae.corrupt(x, torch.Generator().manual_seed(0)))
    assert torch.equal(MLPAutoencoder((1, 32, 32), [8]).corrupt(x), x)  # std 0: unchanged


def test_denoising_training_reduces_the_reconstruction_error():
    torch.manual_seed(0)
    x = torch.rand(64, 1, 8, 8) * 2 - 1
    ae = MLPAutoencoder((1, 8, 8), [32], noise_std=0.1, dropout=0.1)
    opt = torch.optim.Adam(ae.parameters(), lr=3e-3)

    def error() -> float:
        with torch.no_grad():
            return nn.functional.mse_loss(ae.eval()(x).reconstruction, x).item()

    before = error()
    ae.train()
    for _ in range(200):
        loss = nn.functional.mse_loss(ae(x).reconstruction, x)  # target: the clean image
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert error() < 0.5 * before


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda: MLPAutoencoder((1, 8, 8), []), "at least one hidden"),
        (lambda: MLPAutoencoder((1, 8, 8), [0]), "at least 1 unit"),
        (lambda: MLPAutoencoder((1, 8, 8), [8], noise_std=-1), "noise std"),
        (lambda: MLPAutoencoder((1, 8, 8), [8], dropout=1.0), "dropout"),
        (lambda: ConvAutoencoder((64,), 8), "(C, H, W)"),
    ],
)
def test_bad_settings_are_refused_in_one_line(make, words):
    with pytest.raises(GanforgeError) as e:
        make()
    assert words in str(e.value) and "\n" not in str(e.value)
