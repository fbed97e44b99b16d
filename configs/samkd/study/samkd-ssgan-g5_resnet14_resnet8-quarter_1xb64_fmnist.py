# samkd-ssgan with the student's rotation term 25 times stronger (g_weight
# 5 instead of the paper's 0.2): at the stage weight 0.1 it weighs 0.5, so
# that the rotation head's verdict is a signal of the size of the KL terms.
_base_ = ['./samkd-ssgan_resnet14_resnet8-quarter_1xb64_fmnist.py']

model = dict(
    adversary=dict(
        pairs={
            name: dict(rotation=dict(g_weight=5.0))
            for name in ('feat0', 'feat1', 'pooled', 'logits')
        }
    )
)
