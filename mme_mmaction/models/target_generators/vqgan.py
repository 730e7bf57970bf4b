"""MAM2's appearance target: VQGAN codes of every frame.

What is published: docs/siblings.md §2.4; our defaults: docs/siblings.md
§4.12.
"""
import os.path as osp
import pickle
from typing import Dict, Optional, Sequence

import torch
from einops import rearrange
from mmaction.registry import MODELS
from torch import Tensor

from mme_mmaction.checkpoints.file_checks import check_checkpoint_file
from .base import TargetGenerator

#: taming-transformers' ImageNet VQGAN, f16 (``vqgan_imagenet_f16_1024`` and
#: ``_16384`` differ only in ``n_embed``).
F16_DDCONFIG = dict(
    double_z=False,
    z_channels=256,
    resolution=256,
    in_channels=3,
    out_ch=3,
    ch=128,
    ch_mult=(1, 1, 2, 2, 4),
    num_res_blocks=2,
    attn_resolutions=(16, ),
    dropout=0.0)
#: Checkpoint prefixes of the parts that make codes; ``decoder.*``,
#: ``post_quant_conv.*`` and ``loss.*`` are not needed.
ENCODING_PREFIXES = ('encoder.', 'quant_conv.', 'quantize.')


def taming_parts(ddconfig: dict, embed_dim: int, n_embed: int) -> dict:
    """taming-transformers' VQGAN encoder, 1x1 projection and quantiser.

    taming-transformers is installed without its training dependencies
    (``pip install --no-deps taming-transformers-rom1504``): only its
    plain-PyTorch modules are used.

    Returns:
        dict: ``encoder``, ``quant_conv`` and ``quantize`` modules, named
        as in taming's ``VQModel`` (so its checkpoints' keys fit).
    """
    try:
        from taming.modules.diffusionmodules.model import Encoder
        from taming.modules.vqvae.quantize import VectorQuantizer2
    except ImportError as error:
        raise ImportError(
            'VQGAN codes need taming-transformers: pip install --no-deps '
            'taming-transformers-rom1504==0.0.6') from error
    return dict(
        encoder=Encoder(**ddconfig),
        quant_conv=torch.nn.Conv2d(ddconfig['z_channels'], embed_dim, 1),
        quantize=VectorQuantizer2(n_embed, embed_dim, beta=0.25))


def load_encoding_state(path: str) -> Dict[str, Tensor]:
    """The encoder, projection and codebook weights of a VQGAN checkpoint.

    Args:
        path (str): A taming-transformers checkpoint (``{'state_dict': ...}``
            as Lightning saves it) or a bare state dict.

    Returns:
        dict[str, Tensor]: The keys under :data:`ENCODING_PREFIXES`.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        CheckpointFileError: If it is empty, truncated or not a checkpoint.
        ValueError: If it holds more than tensors, or no VQGAN weights.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{path}: no VQGAN checkpoint there (model.target_generator.'
            'checkpoint). Nothing is downloaded: get a taming-transformers '
            'VQGAN (e.g. vqgan_imagenet_f16_1024 last.ckpt) or train one '
            'with tools/train_vq_tokenizer.py.')
    check_checkpoint_file(path, 'model.target_generator.checkpoint')
    try:
        ckpt = torch.load(path, map_location='cpu', weights_only=True)
    except pickle.UnpicklingError as error:
        raise ValueError(
            f'{path}: holds objects beside tensors, which are not loaded '
            "here. Re-save its 'state_dict' where you trust the file: "
            "torch.save(torch.load(path, weights_only=False)['state_dict'], "
            'out).') from error
    state = ckpt.get('state_dict', ckpt)
    parts = {k: v for k, v in state.items() if k.startswith(ENCODING_PREFIXES)}
    if 'quantize.embedding.weight' not in parts:
        raise ValueError(f'{path}: no quantize.embedding.weight: not a '
                         'taming-transformers VQGAN checkpoint.')
    return parts


@MODELS.register_module()
class VQGANTokenizer(TargetGenerator):
    """Frozen VQGAN codes of every token's frames.

    Each frame, un-normalised to [0, 255] and mapped to [-1, 1], goes
    through a taming-transformers VQGAN encoder whose downsampling factor
    equals ``patch_size``, so there is one code per patch. A token covers
    ``tubelet_size`` frames and gets their codes at its position (ours,
    docs/siblings.md §4.13), or only its first frame's
    (``frames='first'``, half the tokenizer's cost).

    Args:
        checkpoint (str): Local taming-transformers checkpoint; nothing is
            downloaded.
        ddconfig (dict): taming ``Encoder`` settings. Defaults to
            :data:`F16_DDCONFIG`.
        embed_dim (int): Code width. Defaults to 256.
        n_embed (int): Codebook size. Defaults to 1024.
        patch_size (int): Spatial side of a token; a model sets it from its
            backbone. Defaults to 16.
        tubelet_size (int): Frames per token; a model sets it from its
            backbone. Defaults to 2.
        frames (str): ``'all'`` (default) or ``'first'`` of each token.
        mean (Sequence[float]): Per-channel mean the data preprocessor
            subtracted, in [0, 255]. Defaults to ImageNet's.
        std (Sequence[float]): Per-channel std it divided by. Defaults to
            ImageNet's.
    """

    def __init__(self,
                 checkpoint: str,
                 ddconfig: Optional[dict] = None,
                 embed_dim: int = 256,
                 n_embed: int = 1024,
                 patch_size: int = 16,
                 tubelet_size: int = 2,
                 frames: str = 'all',
                 mean: Sequence[float] = (123.675, 116.28, 103.53),
                 std: Sequence[float] = (58.395, 57.12, 57.375)) -> None:
        super().__init__()
        ddconfig = dict(ddconfig or F16_DDCONFIG)
        factor = 2**(len(ddconfig['ch_mult']) - 1)
        if factor != patch_size:
            raise ValueError(
                f'The VQGAN downsamples by {factor} (ddconfig.ch_mult), the '
                f'tokens are {patch_size} px: one code per patch needs both '
                'equal.')
        if frames not in ('all', 'first'):
            raise ValueError(f"frames must be 'all' or 'first', got "
                             f'{frames!r}.')
        for name, part in taming_parts(ddconfig, embed_dim, n_embed).items():
            self.add_module(name, part)
        try:
            self.load_state_dict(load_encoding_state(checkpoint))
        except RuntimeError as error:  # missing, unexpected or mis-sized
            raise ValueError(
                f'{checkpoint}: does not fit the configured VQGAN '
                f'(ddconfig, embed_dim, n_embed): {error}') from error
        self.requires_grad_(False)
        self.eval()
        self.tubelet_size = tubelet_size
        self.frames = frames
        self.num_classes = n_embed
        self.codes_per_token = tubelet_size if frames == 'all' else 1
        self.register_buffer(
            'mean', torch.tensor(mean).view(1, -1, 1, 1, 1), persistent=False)
        self.register_buffer(
            'std', torch.tensor(std).view(1, -1, 1, 1, 1), persistent=False)

    def head_sizes(self) -> Dict[str, int]:
        """Codes per token and codebook size, for ``CodePredictionHead``."""
        return dict(codes_per_token=self.codes_per_token,
                    num_classes=self.num_classes)

    def train(self, mode: bool = True) -> 'VQGANTokenizer':
        """Stays in eval mode: the tokenizer is frozen."""
        return super().train(False)

    @torch.no_grad()
    def targets(self, video: Tensor) -> Tensor:
        """Codes of every token.

        Args:
            video (Tensor): (B, C, T, H, W) normalised clips.

        Returns:
            Tensor: (B, N, codes_per_token) int64 codes in [0, n_embed), N
            tokens in (t, h, w) order, the token's frames in time order.
        """
        step = 1 if self.frames == 'all' else self.tubelet_size
        frames = video[:, :, ::step].float() * self.std + self.mean
        b, _, t = frames.shape[:3]
        with torch.autocast(device_type=video.device.type, enabled=False):
            x = rearrange(frames / 127.5 - 1, 'b c t h w -> (b t) c h w')
            z = self.quant_conv(self.encoder(x))
            _, _, (_, _, codes) = self.quantize(z)
        codes = codes.reshape(b, t // self.codes_per_token,
                              self.codes_per_token, *z.shape[-2:])
        return rearrange(codes, 'b t q h w -> b (t h w) q')
