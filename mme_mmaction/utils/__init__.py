from .checkpoint_conversion import (ConversionReport, convert_state_dict,
                                    extract_state_dict, load_checkpoint_file,
                                    resample_pos_embed)
from .launch import (add_cfg_options, add_launch_args, load_config,
                     parse_launch_args, run, set_work_dir)

__all__ = [
    'add_cfg_options', 'add_launch_args', 'load_config', 'parse_launch_args',
    'run', 'set_work_dir'
]
__all__ += [
    'ConversionReport', 'convert_state_dict', 'extract_state_dict',
    'load_checkpoint_file', 'resample_pos_embed'
]
