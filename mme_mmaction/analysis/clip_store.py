"""A fixed pool of pre-training clips, decoded, augmented and tracked once.

Decoding and optical flow are most of a toy pre-training step's cost, and
they are the same for every method: the store runs a config's training
pipeline up to its mask step on seeded draws once, keeps the frames and
trajectories in memory-mapped ``.npy`` files, and gives them back as the
mask step expects them. Each method then draws its own mask and packs the
sample (:meth:`ClipStore.sample`), so every arm and seed sees the same
frames and trajectories.
"""
import hashlib
import json
import os
import os.path as osp
from typing import Dict, List, Sequence

import numpy as np
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope
from mmengine.runner import set_random_seed

from mmaction.registry import DATASETS
from mme_mmaction.datasets.pipeline_steps import find_mask_step
#: Per-clip arrays kept, with their dtypes.
ARRAYS = {'imgs': np.uint8, 'frame_inds': np.int64,
          'trajectories': np.float32, 'traj_valid': bool}
#: Per-clip values that are the same for every clip of a store.
CONSTANTS = ('img_shape', 'clip_len', 'traj_len', 'tubelet_size')
META = 'store.json'


def split_pipeline(pipeline: Sequence[dict]) -> List[dict]:
    """The steps before the mask step (what a store keeps the output of)."""
    return list(pipeline[:find_mask_step(pipeline)])


def store_key(cfg: Config, num_clips: int, seed: int) -> str:
    """Fingerprint of what a store holds: the stored steps, the list file's
    content, the video folder, the number of clips and the seed."""
    dataset = cfg.train_dataloader.dataset
    while 'dataset' in dataset:
        dataset = dataset['dataset']
    with open(dataset['ann_file'], 'rb') as f:
        listing = hashlib.sha256(f.read()).hexdigest()
    text = json.dumps(
        dict(steps=split_pipeline(dataset['pipeline']), listing=listing,
             videos=osp.abspath(dataset['data_prefix']['video']),
             clips=num_clips, seed=seed), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class ClipStore:
    """Clips of one config's pipeline, before its mask step, on disk.

    Args:
        root (str): Folder of a complete store (:meth:`build` makes one).

    Raises:
        FileNotFoundError: If ``root`` holds no complete store.
    """

    def __init__(self, root: str) -> None:
        meta_file = osp.join(root, META)
        if not osp.isfile(meta_file):
            raise FileNotFoundError(
                f'{root} holds no complete clip store ({META} is written '
                'last); build it with ClipStore.build.')
        with open(meta_file) as f:
            self.meta = json.load(f)
        self.arrays = {
            name: np.load(osp.join(root, f'{name}.npy'), mmap_mode='r')
            for name in self.meta['arrays']
        }

    @classmethod
    def build(cls, cfg: Config, root: str, num_clips: int,
              seed: int) -> 'ClipStore':
        """Draw ``num_clips`` seeded clips into ``root``, or open the store
        already there for the same config, clips and seed.

        Args:
            cfg (Config): A pre-training config; its training pipeline up
                to the mask step is run.
            root (str): Folder of the store.
            num_clips (int): Clips drawn (videos chosen at random, with
                replacement when the dataset is smaller).
            seed (int): Seed of the choice and of the random crops.

        Returns:
            ClipStore: The store.
        """
        key = store_key(cfg, num_clips, seed)
        meta_file = osp.join(root, META)
        if osp.isfile(meta_file):
            with open(meta_file) as f:
                if json.load(f).get('key') == key:
                    return cls(root)
            os.remove(meta_file)  # another store: rebuild before reuse
        os.makedirs(root, exist_ok=True)
        init_default_scope(cfg.get('default_scope', 'mmaction'))
        dataset_cfg = cfg.train_dataloader.dataset
        while 'dataset' in dataset_cfg:
            dataset_cfg = dataset_cfg['dataset']
        head = split_pipeline(dataset_cfg['pipeline'])
        dataset = DATASETS.build(dict(dataset_cfg, pipeline=head))
        set_random_seed(seed)
        picks = np.random.default_rng(seed).choice(
            len(dataset), num_clips, replace=num_clips > len(dataset))
        arrays: Dict[str, np.ndarray] = {}
        constants: Dict = {}
        for i, index in enumerate(picks):
            results = dataset[int(index)]
            values = dict(imgs=np.stack(results['imgs']),
                          frame_inds=np.asarray(
                              results['frame_inds']).reshape(-1))
            values.update({k: results[k] for k in ('trajectories',
                                                   'traj_valid')
                           if k in results})
            if i == 0:
                constants = {k: _plain(results[k]) for k in CONSTANTS
                             if k in results}
                arrays = {
                    name: np.lib.format.open_memmap(
                        osp.join(root, f'{name}.npy'), mode='w+',
                        dtype=ARRAYS[name],
                        shape=(num_clips, *np.shape(value)))
                    for name, value in values.items()
                }
            for name, value in values.items():
                arrays[name][i] = value
        for array in arrays.values():
            array.flush()
        with open(meta_file, 'w') as f:
            json.dump(dict(key=key, clips=num_clips, seed=seed,
                           arrays=sorted(arrays), constants=constants), f)
        return cls(root)

    def __len__(self) -> int:
        return self.meta['clips']

    def results(self, index: int) -> Dict:
        """Clip ``index`` as the mask step reads it (arrays copied)."""
        results = {name: np.array(array[index])
                   for name, array in self.arrays.items()}
        results['imgs'] = list(results['imgs'])
        results.update(self.meta['constants'])
        results['img_shape'] = tuple(results['img_shape'])
        results.update(filename=f'clip {index}', modality='RGB',
                       num_clips=1)
        return results

    def sample(self, index: int, tail: Compose) -> Dict:
        """Clip ``index`` through ``tail`` (a mask step, packing)."""
        return tail(self.results(index))


def _plain(value):
    """A JSON-friendly copy of a constant (tuples and numpy scalars)."""
    if isinstance(value, (tuple, list, np.ndarray)):
        return [_plain(v) for v in value]
    return value.item() if isinstance(value, np.generic) else value
