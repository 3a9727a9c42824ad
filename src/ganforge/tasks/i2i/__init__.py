"""The image-to-image tasks: pix2pix (paired), CycleGAN (unpaired), SRGAN (super-resolution).

base.py         what they share: crops, the Translator they open as, held-out evaluation
networks.py     the generator table (U-Net, ResNet, SRResNet)
pix2pix.py      Isola et al. 2017
cyclegan.py     Zhu et al. 2017, with its image pool (image_pool.py)
srgan.py        Ledig et al. 2017
"""
