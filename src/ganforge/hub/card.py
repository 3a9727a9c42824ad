"""The README.md model card of a model folder, from the facts in its ``config.json``.

The Hub reads the YAML front matter (``library_name``, ``license``, ``tags``, ``datasets``;
https://huggingface.co/docs/hub/model-cards) and shows the rest as the model's page. The card
follows Mitchell et al. 2019, "Model Cards for Model Reporting", as far as a generator needs it:
what the model is, what it was trained on and how (the command), how good it is (each metric with
the protocol that measured it: without the protocol an FD is not comparable), and its licence.

The facts (``card`` in config.json) are plain JSON: ``summary``, ``license``, ``dataset``,
``training_command``, ``metrics`` ({name: value}), ``protocol`` (a mapping, its ``hash`` first)
and ``notes`` (lines).
"""

from __future__ import annotations

import json
from typing import Any

from ganforge.config import Config

TAGS = ["ganforge", "gan", "unconditional-image-generation", "pytorch"]


def _yaml_scalar(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid YAML scalar


def _number(value: Any) -> str:
    """Four significant digits: more would claim a precision no sampled metric has."""
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def render(name: str, cfg: Config, card: dict[str, Any], images_seen: int, num_classes: int) -> str:
    """The README.md text of a model folder named ``name``."""
    license_ = str(card.get("license", "mit"))
    dataset = str(card.get("dataset", cfg.data.source))
    tags = [*TAGS]
    if num_classes:
        tags[2] = "class-conditional-image-generation"
    front = [
        "---",
        "library_name: ganforge",
        f"license: {_yaml_scalar(license_)}",
        "tags:",
        *[f"- {t}" for t in tags],
        "---",
    ]
    d, m = cfg.data, cfg.model
    kind = f"conditional on {num_classes} classes" if num_classes else "unconditional"
    lines = [
        f"# {name}",
        "",
        str(card.get("summary", f"A {m.arch} generator trained with ganforge.")),
        "",
        "![samples](samples.png)",
        "",
        "## Model",
        "",
        f"- task `{m.task}`, architecture `{m.arch}`, {kind}; output {d.channels} x "
        f"{d.resolution} x {d.resolution} in [-1, 1]",
        f"- trained on `{dataset}` ({d.split} split) for {images_seen:,} images; the weights are "
        "the generator's exponential moving average (EMA)",
        "- files: `config.json` (the run's config and these facts), `model.safetensors` (the "
        "generator's weights; no pickles)",
        "",
        "## Use",
        "",
        "```",
        "pip install 'ganforge[hub]'",
        "ganforge sample hf:USER/REPO --n 64 --grid grid.png",
        "ganforge train --data folder:my-images --init hf:USER/REPO   # fine-tune",
        "```",
        "",
        "## Training",
        "",
        "```",
        str(card.get("training_command", "(not recorded)")),
        "```",
        "",
        "## Evaluation",
        "",
    ]
    metrics = card.get("metrics") or {}
    if metrics:
        lines += ["| metric | value |", "| --- | ---: |"]
        lines += [f"| {k} | {_number(v)} |" for k, v in metrics.items()]
        protocol = card.get("protocol") or {}
        if protocol:
            lines += [
                "",
                "Protocol (numbers are comparable only under the same protocol hash):",
                "",
            ]
            lines += [f"- {k}: `{json.dumps(v)[:200]}`" for k, v in protocol.items()]
    else:
        lines += ["Not measured: `ganforge eval RUN` before exporting puts the scores here."]
    notes = card.get("notes") or []
    if notes:
        lines += ["", "## Notes", "", *[f"- {n}" for n in notes]]
    lines += ["", "## Licence", "", f"{license_}. {card.get('license_note', '')}".rstrip(), ""]
    return "\n".join(front + lines)
