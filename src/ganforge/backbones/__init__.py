"""Pretrained networks ganforge builds on (frozen feature extractors shipped in PyPI wheels): what
both the metrics (folder FD/KID on ImageNet features) and the models (a projected discriminator)
use, so it sits below both layers."""
