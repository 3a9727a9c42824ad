"""One-domain data sources, each registering its schemes (``ganforge.data.schemes``) when imported:
the canonical sets (``sets.py`` on the ``idx.py`` and ``cifar.py`` readers), stacked
Fashion-MNIST (``stacked.py``), any image folder (``folder.py``) and the 2-D toy mixtures
(``toy.py``)."""
