"""Trained models outside run folders: shipped with the package, on the Hugging Face Hub, or in
a model folder on disk, all in the Hub's layout (a ``config.json`` beside a ``model.safetensors``
and a README.md model card).

    folder.py      the model folder: read (validated, safetensors only) and its parts written
    pretrained.py  ``pretrained:NAME``: the models in ``ganforge/pretrained``, SHA-256 checked
    remote.py      ``hf:USER/NAME[@REVISION]``: huggingface_hub's download, cache and offline mode
    card.py        the README.md model card
    places.py      which of these a name on the command line is (``runs.load_run`` asks it)
"""
