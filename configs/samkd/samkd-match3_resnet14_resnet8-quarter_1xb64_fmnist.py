# SAMKD study (Fashion-MNIST CPU pair): samkd-match plus a third scale, the
# backbone's own pooled feature (the input of head.fc, recorded as
# 'pooled': teacher 64 wide, student 16), matched through its connector in
# every stage. It won the study and is now the default config, so this
# file only names it for the study table.
_base_ = ['./samkd_resnet14_resnet8-quarter_1xb64_fmnist.py']
