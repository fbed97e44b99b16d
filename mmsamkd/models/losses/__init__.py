from .adversarial_loss import (
    GAN_TYPES,
    AdversarialLoss,
    discriminator_loss,
    generator_loss,
)

__all__ = [
    'AdversarialLoss',
    'GAN_TYPES',
    'discriminator_loss',
    'generator_loss',
]
