"""The ``text2image`` section: settings of the text-to-image task (``model.task=text2image``).

What the sentence encoder, its contrastive pre-training and the text-conditioned GAN are
(ganforge/tasks/text2image.py cites the papers). Every literature component is a switch here:
the matching-aware discriminator of GAN-CLS and the interpolated embeddings of GAN-INT (Reed et
al. 2016), conditioning augmentation (Zhang et al. 2017, StackGAN), and DF-GAN's matching-aware
zero-centred gradient penalty (Tao et al. 2022), the default with the hinge loss and the deep
fusion blocks of its generator. Only each value's own range is checked here; checks that tie
values to the data or to the train section are the task's.
"""

from __future__ import annotations

from dataclasses import dataclass

from ganforge.config.checks import choice, number
from ganforge.errors import GanforgeError

# A copy of models/dfgan.OUTPUTS (a test keeps them equal): the config layer does not import torch.
OUTPUTS = ("tanh", "linear")


@dataclass
class Text2ImageConfig:
    max_length: int = 16
    """Words per caption the tokenizer keeps (longer captions are cut, and the cut is reported)."""
    min_count: int = 1
    """A word enters the vocabulary when the data's captions use it this often; rarer words read
    as [UNK]."""
    vocab_size: int = 10_000
    """Largest vocabulary, the two special tokens included."""
    text_dim: int = 128
    """Size of the sentence vector the generator and discriminator are conditioned on."""
    text_width: int = 128
    """Width of the sentence encoder's Transformer layers."""
    text_layers: int = 2
    """Transformer layers of the sentence encoder."""
    text_heads: int = 4
    """Attention heads of the sentence encoder (text_width must be divisible by them)."""
    image_width: int = 16
    """Width of the image encoder of the contrastive pre-training (DAMSM's image side)."""
    pretrain_images: int = 25_600
    """Images of the encoders' contrastive pre-training (DAMSM, Xu et al. 2018), the run's first
    phase; the GAN trains on the frozen sentence encoder after it. 0: no pre-training (a random,
    frozen encoder: only for tests)."""
    pretrain_lr: float = 1e-3
    """Peak AdamW learning rate of the pre-training (linear warm-up over its first 10 %, then a
    cosine decay to zero)."""
    contrastive_scale: float = 10.0
    """gamma3 of DAMSM's sentence loss: the scale of the cosine similarities."""
    matching_aware: bool = True
    """GAN-CLS (Reed et al. 2016): D also sees (real image, mismatched caption) pairs as fake."""
    interpolate: bool = False
    """GAN-INT (Reed et al. 2016): G also learns from 50/50 mixtures of two captions' vectors."""
    conditioning_augmentation: bool = False
    """StackGAN's CA (Zhang et al. 2017): G's condition drawn from N(mu(t), sigma(t)^2), with a KL
    term in G's loss."""
    kl_weight: float = 1.0
    """Weight of CA's KL term (StackGAN: 1)."""
    g_output: str = "tanh"
    """tanh (DF-GAN's) | linear: the generator's last activation. linear (no tanh, as StyleGAN2
    and R3GAN; samples are clamped only when they become pixels) is for images with exactly
    white or black backgrounds, where a tanh G saturates at the background colour and stops
    learning (the text2image-64 preset)."""
    magp_weight: float = 2.0
    """k of DF-GAN's matching-aware gradient penalty (Tao et al. 2022: 2); 0 switches it off."""
    magp_power: float = 6.0
    """p of the penalty (Tao et al. 2022: 6)."""
    magp_every: int = 4
    """Lazy regularisation (Karras et al. 2020): the penalty every N D steps with weight x N."""

    def __post_init__(self) -> None:
        number(self.max_length, "text2image.max_length", 1, 256)
        number(self.min_count, "text2image.min_count", 1, 1_000_000)
        number(self.vocab_size, "text2image.vocab_size", 3, 50_000)
        for key in ("text_dim", "text_width", "image_width"):
            number(getattr(self, key), f"text2image.{key}", 4, 4096)
        number(self.text_layers, "text2image.text_layers", 1, 24)
        number(self.text_heads, "text2image.text_heads", 1, 64)
        if self.text_width % self.text_heads:
            raise GanforgeError(
                f"text2image.text_width={self.text_width} must be divisible by "
                f"text2image.text_heads={self.text_heads}"
            )
        number(self.pretrain_images, "text2image.pretrain_images", 0, 10**9)
        number(self.pretrain_lr, "text2image.pretrain_lr", 0, 1, lo_open=True)
        number(self.contrastive_scale, "text2image.contrastive_scale", 0, 1000, lo_open=True)
        choice(self.g_output, OUTPUTS, "text2image.g_output")
        number(self.kl_weight, "text2image.kl_weight", 0, 1e6)
        number(self.magp_weight, "text2image.magp_weight", 0, 1e6)
        number(self.magp_power, "text2image.magp_power", 1, 16)
        number(self.magp_every, "text2image.magp_every", 1, 1000)
