"""One policy for bad input: a clear error, or a counted and logged skip."""
import logging
from typing import Dict, Optional

from mmcv.transforms import BaseTransform
from mmengine.logging import print_log

POLICIES = ('error', 'skip')


class BadInputError(ValueError):
    """Input that cannot give a correct sample; the message names the file."""


class SkipsBadInput(BaseTransform):
    """Mixin: run ``_transform`` and apply ``on_bad_input`` to its errors.

    With ``'error'`` a :class:`BadInputError` propagates. With ``'skip'`` it
    is logged with its reason and counted, and the transform returns None:
    mmengine's ``BaseDataset`` then draws another sample (training only; a
    test set raises). The count is per data-loader process.
    """

    skipped: Dict[str, int] = {}

    def _set_policy(self, on_bad_input: str) -> None:
        if on_bad_input not in POLICIES:
            raise ValueError(f'on_bad_input must be one of {POLICIES}, got '
                             f'{on_bad_input!r}.')
        self.on_bad_input = on_bad_input

    def _transform(self, results: Dict) -> Dict:
        raise NotImplementedError

    def transform(self, results: Dict) -> Optional[Dict]:
        """Apply ``_transform``; skip the sample on bad input if asked."""
        try:
            return self._transform(results)
        except BadInputError as error:
            if self.on_bad_input == 'error':
                raise
            reason = type(self).__name__
            SkipsBadInput.skipped[reason] = SkipsBadInput.skipped.get(
                reason, 0) + 1
            total = sum(SkipsBadInput.skipped.values())
            print_log(
                f'Skipped a sample ({total} so far in this process, by '
                f'transform: {SkipsBadInput.skipped}): {error}',
                logger='current', level=logging.WARNING)
            return None
