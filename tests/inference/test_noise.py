"""inference/noise.py: NoiseGenerator, what a noise-to-sample run opens as."""

from torch import nn

from ganforge.inference.noise import NoiseGenerator


class G(nn.Module):
    z_dim = 12


def test_latent_size_comes_from_the_generator_and_the_kind_from_the_sample_shape():
    images = NoiseGenerator(G(), num_classes=3, class_names=["a", "b", "c"], output_shape=(1, 8, 8))
    points = NoiseGenerator(G(), output_shape=(2,))
    assert images.z_dim == 12 and isinstance(images.z_dim, int)
    assert images.is_image and not points.is_image
    assert (points.num_classes, points.class_names, points.network) == (0, [], "G")
    points.class_names.append("x")
    assert NoiseGenerator(G()).class_names == []  # not shared between instances


class Conv(nn.Module):
    """A tiny conditional generator: z (and y) -> (B, 1, 4, 4)."""

    z_dim = 3

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(3, 16)
        self.embed = nn.Embedding(4, 3)

    def forward(self, z, y=None):
        if y is not None:
            z = z + self.embed(y)
        return self.fc(z).tanh().view(-1, 1, 4, 4)


def test_uses_follow_the_conditioning():
    assert NoiseGenerator(G()).uses == {"sample": ("z",)}
    cond = NoiseGenerator(G(), num_classes=3)
    assert cond.uses == {"sample": ("z", "y"), "class": ("z", "y")}
    assert cond.can("class") and not NoiseGenerator(G()).can("class")
    assert cond.module is cond.G and cond.describe() == "generator"


def test_the_export_spec_declares_its_named_inputs_and_runs():
    import torch

    for k, names in ((0, ["z"]), (4, ["z", "y"])):
        model = NoiseGenerator(Conv(), num_classes=k, output_shape=(1, 4, 4))
        spec = model.export_spec()
        assert spec.input_names == names and spec.output_name == "image"
        assert list(spec.config["inputs"]) == names and spec.config["z_dim"] == 3
        assert spec.config["output"]["shape"] == ["batch", 1, 4, 4]
        out = spec.module(*spec.example)
        assert out.shape == (2, 1, 4, 4) and torch.equal(out, model.G(*spec.example))
        assert [p[0].shape[0] for p in spec.probes] == [1, 3] and spec.net is model.G
    toy = NoiseGenerator(Conv(), output_shape=(2,))
    assert toy.export_spec().output_name == "points"
