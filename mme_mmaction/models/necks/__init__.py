from .latent_regressor import LatentRegressor
from .masked_token_decoder import MaskedTokenDecoder
from .mme_decoder import MMEDecoder

__all__ = ['LatentRegressor', 'MMEDecoder', 'MaskedTokenDecoder']
