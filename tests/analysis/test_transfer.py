"""Fine-tuning and the linear probe in one process."""
import torch
from mmaction.registry import MODELS

from mme_mmaction.analysis.transfer import (encoder_weights, finetune,
                                            labelled_pool, linear_probe,
                                            recognizer)


def test_encoder_weights_load_into_the_recognizer(toy_cfg,
                                                  toy_recognition_cfg):
    torch.manual_seed(0)
    pretrained = MODELS.build(toy_cfg.model)
    weights = encoder_weights(pretrained)
    model = recognizer(toy_recognition_cfg, weights, seed=0)
    for key, value in model.backbone.state_dict().items():
        if not key.startswith('fc_norm.'):
            assert torch.equal(value, weights[key]), key
    # From scratch: the backbone's standard init (truncated normal 0.02).
    scratch = recognizer(toy_recognition_cfg, None, seed=0)
    std = scratch.backbone.blocks[0].mlp.layers[0][0].weight.std().item()
    assert 0.015 < std < 0.025


def test_the_probe_leaves_the_encoder_alone_and_fits_its_training_set(
        toy_cfg, toy_recognition_cfg):
    train = labelled_pool(toy_recognition_cfg, 'train', views=1, seed=0)
    val = labelled_pool(toy_recognition_cfg, 'val', views=1, seed=0)
    torch.manual_seed(0)
    weights = encoder_weights(MODELS.build(toy_cfg.model))
    before = {k: v.clone() for k, v in weights.items()}
    scores = linear_probe(toy_recognition_cfg, weights, train,
                          dict(train=train, val=val), seed=0)
    assert all(torch.equal(before[k], weights[k]) for k in weights)
    # 9 clips, 192 features: a linear classifier separates them.
    assert scores['train'] == 100.0
    assert 0 <= scores['val'] <= 100


def test_finetuning_is_reproducible(toy_cfg, toy_recognition_cfg):
    train = labelled_pool(toy_recognition_cfg, 'train', views=1, seed=0)
    runs = [finetune(toy_recognition_cfg, None, train, dict(train=train),
                     steps=3, seed=0, layer_decay=False) for _ in range(2)]
    assert runs[0] == runs[1] and 0 <= runs[0]['train'] <= 100
    # With pre-trained weights and the config's layer-wise decay.
    torch.manual_seed(0)
    weights = encoder_weights(MODELS.build(toy_cfg.model))
    scores = finetune(toy_recognition_cfg, weights, train, dict(train=train),
                      steps=2, seed=0)
    assert 0 <= scores['train'] <= 100
