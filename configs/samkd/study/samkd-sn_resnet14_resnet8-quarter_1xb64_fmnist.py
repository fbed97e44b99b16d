# SAMKD study (Fashion-MNIST CPU pair): the default config (samkd-nomatch)
# with spectrally normalised discriminators (Miyato et al., ICLR 2018),
# which bound how fast they can tell the student apart.
_base_ = ['../samkd_resnet14_resnet8-quarter_1xb64_fmnist.py']

model = dict(
    adversary=dict(
        discriminator=dict(
            type='MLPDiscriminator', hidden_channels=(256,), spectral_norm=True
        )
    )
)
