"""Two-domain data for the image-to-image tasks: ``schemes.py`` registers ``paired:``,
``unpaired:``, the offline demos (``demos.py``) and the pix2pix / CycleGAN sets (``sets.py``);
``paired.py`` and ``unpaired.py`` read folders into ``domains.py``'s record; ``sr.py`` cuts
super-resolution pairs; ``image_files.py`` reads their files (fit to a square, A|B split)."""
