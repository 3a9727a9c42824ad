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
