"""Training only the heads added on top of a pre-trained classifier."""


class FrozenFeaturesMixin:
    """Keep backbone, neck and head fixed and in eval mode when frozen.

    For classifiers that add a trainable part (HSAKD's branches, SSKD's
    projection head) on a pre-trained network: with ``self.frozen`` set,
    :meth:`freeze_features` stops their gradients and :meth:`train` keeps
    their BN statistics and dropout as trained.
    """

    frozen = False

    def _feature_modules(self):
        return [m for m in (self.backbone, self.neck, self.head) if m]

    def freeze_features(self) -> None:
        for module in self._feature_modules():
            for param in module.parameters():
                param.requires_grad = False

    def train(self, mode: bool = True) -> 'FrozenFeaturesMixin':
        super().train(mode)
        if self.frozen:
            for module in self._feature_modules():
                module.eval()
        return self
