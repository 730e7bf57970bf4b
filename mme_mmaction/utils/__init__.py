from .checkpoint_conversion import (ConversionReport, convert_state_dict,
                                    extract_state_dict, load_checkpoint_file,
                                    resample_pos_embed)
from .launch import add_launch_args, parse_launch_args, run, set_work_dir

__all__ = ['add_launch_args', 'parse_launch_args', 'run', 'set_work_dir']
__all__ += [
    'ConversionReport', 'convert_state_dict', 'extract_state_dict',
    'load_checkpoint_file', 'resample_pos_embed'
]
