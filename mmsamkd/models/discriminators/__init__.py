from .mlp_discriminator import MLPDiscriminator

__all__ = ['MLPDiscriminator']
