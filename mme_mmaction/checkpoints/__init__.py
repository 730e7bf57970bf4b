"""Checkpoint files: whether one is complete, and its conversion.

Conversion maps the MME release's, VideoMAE's and our checkpoints to an
MMAction2 recognizer's or to MME's layout (``tools/convert_checkpoint.py``).
"""
from .clip_size import ClipSize, Grid, stored_clip
from .conversion import (TARGETS, ConversionReport, compare_with_model,
                         convert_state_dict)
from .file_checks import (CheckpointFileError, check_checkpoint_file,
                          checkpoint_problem, complete_checkpoints)
from .key_mapping import detect_format, prediction_heads
from .loading import extract_state_dict, load_checkpoint_file
from .position_table import UnknownGridError, infer_grid

__all__ = [
    'CheckpointFileError', 'ClipSize', 'ConversionReport', 'Grid', 'TARGETS',
    'UnknownGridError', 'check_checkpoint_file', 'checkpoint_problem',
    'compare_with_model', 'complete_checkpoints', 'convert_state_dict',
    'detect_format', 'extract_state_dict', 'infer_grid',
    'load_checkpoint_file', 'prediction_heads', 'stored_clip'
]
