import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.explore import latents as L
from ganforge.explore.classes import generate_mixed, is_one_hot, mixed, one_hot
from ganforge.explore.sample import generate
from ganforge.models.dcgan import DCGANGenerator
from ganforge.runs import load_run


@pytest.fixture(scope="module")
def run(cgan_run):
    return load_run(cgan_run)


def test_one_hot_weights_are_the_hard_labels(run):
    z, y = L.latents(0, range(6), run.z_dim), torch.tensor([0, 3, 3, 7, 9, 1])
    w = one_hot(y, 10)
    assert is_one_hot(w) and not is_one_hot(w * 0.5)
    assert torch.equal(generate_mixed(run.G, z, w), generate(run.G, z, y))  # the plain path
    # The hooked path with one-hot rows is a table lookup too.
    with mixed(run.G, w):
        hooked = run.G(z, torch.zeros(6, dtype=torch.long))  # the labels passed are ignored
    assert torch.allclose(hooked, generate(run.G, z, y), atol=1e-6)


def test_a_mixture_is_linear_in_the_embedding_and_the_hooks_go_away(run):
    z = L.latents(0, range(2), run.z_dim)
    w = torch.tensor([[0.5, 0.5] + [0.0] * 8, [0.0] * 9 + [1.0]])  # half 0 / half 1, then 9
    images = generate_mixed(run.G, z, w)
    # The concat generator sees embed = 0.5 E[0] + 0.5 E[1]: the same as feeding that vector.
    e = run.G.embed.weight
    h = torch.cat([z[:1], (0.5 * e[0] + 0.5 * e[1])[None]], dim=1)[:, :, None, None]
    for conv, norm in zip(run.G.convs, run.G.norms):
        h = torch.relu(norm(conv(h)))
    want = torch.tanh(run.G.to_rgb(h))
    assert torch.allclose(images[:1], want, atol=1e-5)
    assert torch.allclose(images[1:], generate(run.G, z[1:], torch.tensor([9])), atol=1e-5)
    for y in (0, 1):  # a mixture is neither class alone
        assert (images[0] - generate(run.G, z[:1], torch.tensor([y]))[0]).abs().mean() > 0.02
    assert all(not m._forward_hooks for m in run.G.modules())


def test_an_unconditional_generator_has_no_classes_to_mix():
    G = DCGANGenerator(z_dim=8, resolution=32, width=4)
    with pytest.raises(GanforgeError, match="has no class embedding"):
        generate_mixed(G, torch.zeros(1, 8), torch.tensor([[0.5, 0.5]]))
