from .launch import add_launch_args, parse_launch_args, run, set_work_dir

__all__ = ['add_launch_args', 'parse_launch_args', 'run', 'set_work_dir']
