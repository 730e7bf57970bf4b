"""Transfer of a pre-trained encoder to labelled clips, in one process:
fine-tuning and a linear probe on frozen features, one recipe for all."""
import copy
from typing import Dict, List, Optional

import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.runner import set_random_seed
from torch import nn

from mmaction.registry import DATASETS, MODELS
from .in_process import batches, warmup_cosine


def labelled_pool(cfg: Config, split: str, views: int,
                  seed: int) -> List[Dict]:
    """Packed samples of a recognition config's split, drawn once.

    Args:
        cfg (Config): A recognition config.
        split (str): ``'train'``, ``'val'`` or ``'test'``: its
            ``<split>_dataloader.dataset`` is read.
        views (int): Samples per video (random crops differ per view).
        seed (int): Seed of the pipeline's random draws.

    Returns:
        list[dict]: ``views`` x videos packed samples.
    """
    init_default_scope(cfg.get('default_scope', 'mmaction'))
    dataset = DATASETS.build(cfg[f'{split}_dataloader'].dataset)
    set_random_seed(seed)
    return [dataset[i] for _ in range(views) for i in range(len(dataset))]


def recognizer(cfg: Config, backbone: Optional[Dict[str, torch.Tensor]],
               seed: int) -> nn.Module:
    """The config's recognizer, its backbone loaded from ``backbone``.

    Args:
        cfg (Config): A recognition config.
        backbone (dict, optional): Encoder weights with MMAction2
            ``VisionTransformer`` keys; None keeps the backbone's standard
            initialisation (the config's ``init_cfg`` is dropped).
        seed (int): Seed of the initialisation.

    Raises:
        KeyError: If ``backbone`` lacks a key the backbone needs (other than
            ``fc_norm``, which fine-tuning adds).
    """
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.backbone.pop('init_cfg', None)
    set_random_seed(seed)
    model = MODELS.build(model_cfg)
    model.init_weights()
    if backbone is not None:
        missing, _ = model.backbone.load_state_dict(backbone, strict=False)
        missing = [k for k in missing if not k.startswith('fc_norm.')]
        if missing:
            raise KeyError(f'The encoder weights lack {missing}.')
    return model


def top1(model: nn.Module, pool: List[Dict], batch_size: int = 16) -> float:
    """Top-1 (percent) of a recognizer on a pool."""
    model.eval()
    right = 0
    with torch.no_grad():
        for start in range(0, len(pool), batch_size):
            for sample in model.test_step(
                    pseudo_collate(pool[start:start + batch_size])):
                right += int(sample.pred_score.argmax()) == int(
                    sample.gt_label)
    return 100 * right / len(pool)


def finetune(cfg: Config, backbone: Optional[Dict[str, torch.Tensor]],
             train: List[Dict], evaluate: Dict[str, List[Dict]], steps: int,
             seed: int, layer_decay: bool = True) -> Dict[str, float]:
    """Fine-tune the recognizer on ``train`` and score it on each pool.

    The config's optimizer wrapper (its lr, weight decay and precision) with
    :func:`~.in_process.warmup_cosine` over ``steps`` steps of the config's
    train batch size.

    Args:
        cfg (Config): A recognition config.
        backbone (dict, optional): Encoder weights (None: from scratch).
        train (list[dict]): Packed training samples.
        evaluate (dict[str, list[dict]]): Pools scored after training.
        steps (int): Optimisation steps.
        seed (int): Seed of the head, the order and the drop path.
        layer_decay (bool): Keep the config's layer-wise lr decay; False
            for a model trained from scratch, which has no pre-trained
            layers to protect.

    Returns:
        dict: Top-1 per pool of ``evaluate``.
    """
    model = recognizer(cfg, backbone, seed)
    wrapper_cfg = copy.deepcopy(cfg.optim_wrapper)
    if not layer_decay:
        wrapper_cfg.pop('constructor', None)
        wrapper_cfg['paramwise_cfg'] = dict(
            norm_decay_mult=0., bias_decay_mult=0., flat_decay_mult=0.)
    wrapper = build_optim_wrapper(model, wrapper_cfg)
    schedule = torch.optim.lr_scheduler.LambdaLR(wrapper.optimizer,
                                                 warmup_cosine(steps))
    batch_size = cfg.train_dataloader.get('batch_size', 8)
    model.train()
    for indices in batches(len(train), batch_size, steps, seed):
        model.train_step(pseudo_collate([train[i] for i in indices]),
                         wrapper)
        schedule.step()
    return {name: top1(model, pool) for name, pool in evaluate.items()}


def features(model: nn.Module, pool: List[Dict],
             batch_size: int = 16) -> torch.Tensor:
    """(N, D) float32 pooled backbone features of a pool, no gradients."""
    model.eval()
    out = []
    with torch.no_grad():
        for start in range(0, len(pool), batch_size):
            data = model.data_preprocessor(
                pseudo_collate(pool[start:start + batch_size]), False)
            feats = model.extract_feat(data['inputs'])[0]
            out.append(feats.float().flatten(1))
    return torch.cat(out)


def labels(pool: List[Dict]) -> torch.Tensor:
    """(N,) int64 labels of a pool."""
    return torch.tensor([int(s['data_samples'].gt_label) for s in pool])


def linear_probe(cfg: Config, backbone: Optional[Dict[str, torch.Tensor]],
                 train: List[Dict], evaluate: Dict[str, List[Dict]],
                 seed: int, steps: int = 500, lr: float = 1e-2,
                 weight_decay: float = 1e-4) -> Dict[str, float]:
    """A linear classifier on frozen features, extracted once.

    Features are standardised with the training set's mean and deviation;
    the classifier trains full-batch with AdamW. Nothing back-propagates
    into the encoder.

    Returns:
        dict: Top-1 per pool of ``evaluate``.
    """
    model = recognizer(cfg, backbone, seed)
    train_x = features(model, train)
    mean, std = train_x.mean(0), train_x.std(0) + 1e-6
    train_x = (train_x - mean) / std
    train_y = labels(train)
    torch.manual_seed(seed)
    classes = int(max(labels(p).max() for p in [train, *evaluate.values()]))
    head = nn.Linear(train_x.shape[1], classes + 1)
    optimizer = torch.optim.AdamW(head.parameters(), lr=lr,
                                  weight_decay=weight_decay)
    for _ in range(steps):
        loss = nn.functional.cross_entropy(head(train_x), train_y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    scores = {}
    with torch.no_grad():
        for name, pool in evaluate.items():
            x = (features(model, pool) - mean) / std
            scores[name] = 100 * float(
                (head(x).argmax(1) == labels(pool)).float().mean())
    return scores


def encoder_weights(model: nn.Module) -> Dict[str, torch.Tensor]:
    """A pre-training model's encoder weights (its ``backbone``)."""
    return {k: v.detach().clone() for k, v in
            model.backbone.state_dict().items()}
