from .mlp_discriminator import MLPDiscriminator
from .patch_discriminator import PatchDiscriminator

__all__ = ['MLPDiscriminator', 'PatchDiscriminator']
