"""Pre-training in one process from clips already drawn: the loop of the
analysis tools that compare methods at an equal budget."""
import math
import time
from typing import Callable, Dict, Iterator, List, Optional

import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.runner import set_random_seed
from torch import nn

from mmaction.registry import MODELS


def batches(num_clips: int, batch_size: int, steps: int,
            seed: int) -> Iterator[List[int]]:
    """Clip indices of every step: seeded shuffled passes over the pool.

    Args:
        num_clips (int): Clips in the pool.
        batch_size (int): Clips per step.
        steps (int): Steps.
        seed (int): Seed of the order.

    Yields:
        list[int]: ``batch_size`` indices; a pass ends mid-batch only by
        continuing into the next shuffled pass.
    """
    gen = torch.Generator().manual_seed(seed)
    order: List[int] = []
    for _ in range(steps):
        while len(order) < batch_size:
            order += torch.randperm(num_clips, generator=gen).tolist()
        yield order[:batch_size]
        order = order[batch_size:]


def warmup_cosine(steps: int) -> Callable[[int], float]:
    """Learning-rate factor of a step: linear warm-up over a fifteenth of
    the steps, then a cosine to 5 %."""
    warm = max(1, steps // 15)

    def factor(step: int) -> float:
        if step < warm:
            return (step + 1) / warm
        done = (step - warm) / max(1, steps - warm)
        return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * done))

    return factor


def pretrain(cfg: Config,
             sample: Callable[[int], Dict],
             num_clips: int,
             steps: int,
             seed: int,
             name: str = 'run',
             report_every: int = 50,
             log: Callable[[str], None] = print,
             every: int = 0,
             callback: Optional[Callable[[int, nn.Module], None]] = None
             ) -> Dict:
    """Train ``cfg.model`` for ``steps`` steps on a pool of clips.

    The config's own optimizer wrapper is used (bf16 autocast on a CPU that
    has bf16 instructions, AMP on CUDA; its learning rate, weight decay and
    their exceptions) with :func:`warmup_cosine` over the steps, batches of
    ``cfg.train_dataloader.batch_size``. A non-finite loss stops the run.

    Args:
        cfg (Config): A pre-training config.
        sample (Callable[[int], dict]): A packed sample from a pool index.
        num_clips (int): Pool size.
        steps (int): Optimisation steps.
        seed (int): Seed of the weights, the order and the masks (all of
            Python's, numpy's and torch's generators are seeded).
        name (str): Run name in progress lines.
        report_every (int): Steps between progress lines with an ETA.
        log (Callable[[str], None]): Where progress lines go.
        every (int): Steps between calls of ``callback``; 0 for none.
        callback (Callable[[int, nn.Module], None], optional): Called
            with the steps done and the model (in eval mode, back in train
            mode after), e.g. to score it along the run.

    Returns:
        dict: ``model`` (trained, in eval mode), ``losses`` (every logged
        loss per step), ``wall_s`` and ``precision`` of the forward pass
        (``'bfloat16'``, ``'float16'`` or ``'float32'``).

    Raises:
        FloatingPointError: On a non-finite loss, naming the step.
    """
    # Weights from torch's generator, masks from numpy's.
    set_random_seed(seed)
    model = MODELS.build(cfg.model)
    model.init_weights()
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    schedule = torch.optim.lr_scheduler.LambdaLR(wrapper.optimizer,
                                                 warmup_cosine(steps))
    batch_size = cfg.train_dataloader.get('batch_size', 16)
    losses: Dict[str, List[float]] = {}
    start = time.monotonic()
    model.train()
    for step, indices in enumerate(batches(num_clips, batch_size, steps,
                                           seed)):
        logged = {
            key: float(torch.as_tensor(value).detach())
            for key, value in model.train_step(
                pseudo_collate([sample(i) for i in indices]),
                wrapper).items()
        }
        if not math.isfinite(logged['loss']):
            raise FloatingPointError(
                f'{name}: loss {logged["loss"]} at step {step}; the run '
                'stops here.')
        for key, value in logged.items():
            losses.setdefault(key, []).append(value)
        schedule.step()
        done = step + 1
        if callback is not None and every and done % every == 0:
            model.eval()
            callback(done, model)
            model.train()
        if done % report_every == 0 or done == steps:
            spent = time.monotonic() - start
            log(f'{name}: step {done}/{steps}, loss {logged["loss"]:.4f}, '
                f'{spent:.0f} s, ETA {spent / done * (steps - done):.0f} s')
    model.eval()
    precision = getattr(wrapper, 'cast_dtype', None) or torch.float32
    return dict(model=model, losses=losses, wall_s=time.monotonic() - start,
                precision=str(precision).replace('torch.', ''))
