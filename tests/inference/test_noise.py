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


def test_infer_runs_g_in_batches_and_gives_uint8_images_or_points():
    import pytest
    import torch

    from ganforge.errors import GanforgeError
    from ganforge.images import to_uint8

    torch.manual_seed(0)
    model = NoiseGenerator(Conv(), num_classes=4, class_names=["a", "b"], output_shape=(1, 4, 4))
    z, y = torch.randn(5, 3), torch.tensor([0, 1, 2, 3, 0])
    out = model.infer("class", {"z": z, "y": y}, batch_size=2)
    assert out.dtype == torch.uint8 and torch.equal(out, to_uint8(model.G(z, y)))
    assert model.input_info("z") == {"dim": 3}
    assert model.input_info("y") == {"classes": ["0", "1", "2", "3"]}  # 2 names for 4 classes
    with pytest.raises(GanforgeError, match="missing: y"):
        model.infer("sample", {"z": z})
    toy = NoiseGenerator(Points(), output_shape=(2,))
    points = toy.infer("sample", {"z": z})
    assert points.dtype == torch.float32 and points.shape == (5, 2)


class Points(nn.Module):
    """A toy generator: z -> (B, 2) points."""

    z_dim = 3

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(3, 2)

    def forward(self, z, y=None):
        return self.fc(z)
