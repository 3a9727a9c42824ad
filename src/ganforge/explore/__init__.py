"""Using a trained generator: sampling, walks, arithmetic, feature-map surgery, inversion, export.

Each module is one technique, most from DCGAN (Radford, Metz & Chintala 2016, section 6):

    latents      inputs reproducible by (seed, index), truncation, class labels
    classes      class mixtures, so walks and arithmetic move a conditional run's class too
    sample       draw and save samples (grid, .npz, folder of PNGs)
    interpolate  linear / spherical walks between two latents (section 6.1), strip or GIF
    sheet        numbered sample sheets to pick exemplars from
    arithmetic   mean(a) - mean(b) + mean(c) on exemplar latents (section 6.3.2)
    ablate       zero feature maps of a generator layer (section 6.3.1)
    invert       optimise z to reproduce an image
    export       the generator alone as ONNX, TorchScript or safetensors + JSON
    figure       labelled figures; outputs: checked, atomic output files

The command-line front ends are in ``ganforge.commands``.
"""
