"""Randomly initialised VQGAN checkpoints in taming-transformers' layout."""
import torch
from taming.modules.diffusionmodules.model import Decoder, Encoder
from taming.modules.vqvae.quantize import VectorQuantizer2

# A small f16 VQGAN: 5 levels of 32 channels (GroupNorm's minimum),
# codebook of 32.
TINY_DDCONFIG = dict(double_z=False, z_channels=8, resolution=64,
                     in_channels=3, out_ch=3, ch=32, ch_mult=(1, 1, 1, 1, 1),
                     num_res_blocks=1, attn_resolutions=(), dropout=0.0)


class TamingVQModel(torch.nn.Module):
    """The parameter layout of taming's ``VQModel`` (its Lightning class
    needs packages we do not install), built from taming's own modules."""

    def __init__(self, ddconfig, embed_dim, n_embed):
        super().__init__()
        self.encoder = Encoder(**ddconfig)
        self.decoder = Decoder(**ddconfig)
        self.quantize = VectorQuantizer2(n_embed, embed_dim, beta=0.25)
        self.quant_conv = torch.nn.Conv2d(ddconfig['z_channels'], embed_dim, 1)
        self.post_quant_conv = torch.nn.Conv2d(embed_dim,
                                               ddconfig['z_channels'], 1)

    @torch.no_grad()
    def codes(self, images):
        """(B, 3, H, W) in [-1, 1] -> (B, H/16, W/16) codes."""
        z = self.quant_conv(self.encoder(images))
        _, _, (_, _, codes) = self.quantize(z)
        return codes.reshape(len(images), *z.shape[-2:])


def save_random_vqgan(path, ddconfig=TINY_DDCONFIG, embed_dim=8, n_embed=32,
                      seed=0):
    """Save a random VQModel as Lightning does (``{'state_dict': ...}``)."""
    torch.manual_seed(seed)
    model = TamingVQModel(ddconfig, embed_dim, n_embed)
    # Spread the codebook so random encodings use many codes.
    torch.nn.init.normal_(model.quantize.embedding.weight)
    torch.save({'state_dict': model.state_dict(), 'global_step': 0},
               str(path))
    return model
