from .adversarial_loss import (
    GAN_TYPES,
    AdversarialLoss,
    discriminator_loss,
    generator_loss,
)
from .category_structure import (
    CategoryStructureLoss,
    class_centroids,
    cosine_matrix,
)
from .icakd_loss import CAMCategoryStructureLoss, CAMLoss
from .kl_divergence import kl_divergence
from .sorted_batch_kd import PreviousBatchSortedKD
from .sskd_loss import RotatedViewsKD, SimilarityKD, error_ranked_rows

__all__ = [
    'CAMCategoryStructureLoss',
    'CAMLoss',
    'CategoryStructureLoss',
    'class_centroids',
    'cosine_matrix',
    'AdversarialLoss',
    'GAN_TYPES',
    'PreviousBatchSortedKD',
    'RotatedViewsKD',
    'SimilarityKD',
    'discriminator_loss',
    'error_ranked_rows',
    'generator_loss',
    'kl_divergence',
]
