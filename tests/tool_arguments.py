"""What a tool's argument parser makes of a command line, without running
the tool.

``python tests/tool_arguments.py`` reads a JSON list of jobs on stdin and
prints, as its last line, a JSON list of results, one per job. A job names
a tool below the repository root (the working directory) and an argv:

- ``{"tool": "tools/train.py", "argv": [...]}``: the tool's parser parses
  the argv. Result: ``{"error": null}`` or the parser's message. A
  ``config`` it names is loaded with its ``--cfg-options`` merged, and each
  option must set a key below one the config has.
- ``{"tool": ..., "argv": null}``: the parser itself. Result:
  ``{"options": {"--flag": [choices] or null}, "commands": {name: the same
  for the sub-command}}``.

The tool runs as ``__main__`` until it calls ``ArgumentParser.parse_args``;
in this process, which exists only for that, the call stops the tool once
it has parsed (or, for the parser itself, before).
"""
import argparse
import contextlib
import io
import json
import os.path as osp
import runpy
import sys
from typing import Iterator, List, Optional, Tuple

from mmengine.config import Config


class _Stopped(BaseException):
    """Raised by the parse; a BaseException, so the tool cannot catch it."""

    def __init__(self, parser: argparse.ArgumentParser,
                 namespace: Optional[argparse.Namespace]) -> None:
        super().__init__()
        self.parser = parser
        self.namespace = namespace


@contextlib.contextmanager
def _stop_at_parse(parse: bool) -> Iterator[None]:
    original = argparse.ArgumentParser.parse_args

    def parse_args(self, args=None, namespace=None):
        parsed = original(self, args, namespace) if parse else None
        raise _Stopped(self, parsed)

    argparse.ArgumentParser.parse_args = parse_args
    try:
        yield
    finally:
        argparse.ArgumentParser.parse_args = original


def run_until_parsed(
    tool: str, argv: Optional[List[str]]
) -> Tuple[Optional[argparse.ArgumentParser], Optional[argparse.Namespace],
           Optional[str]]:
    """(parser, namespace or None, error or None) of ``tool argv``.

    With ``argv=None`` the tool stops before parsing and the namespace is
    None.
    """
    path = osp.abspath(tool)
    sys.argv = [path, *(argv or [])]
    sys.path.insert(0, osp.dirname(path))  # as ``python tool`` has it
    messages = io.StringIO()
    try:
        with _stop_at_parse(argv is not None), \
                contextlib.redirect_stderr(messages), \
                contextlib.redirect_stdout(messages):
            runpy.run_path(path, run_name='__main__')
    except _Stopped as stopped:
        return stopped.parser, stopped.namespace, None
    except SystemExit as exit:
        return None, None, messages.getvalue().strip() or f'exit {exit}'
    finally:
        sys.path.remove(osp.dirname(path))
    return None, None, f'{tool} never parsed its arguments'


def config_error(namespace: argparse.Namespace) -> Optional[str]:
    """Why the config a command names, with its options, does not load."""
    config = getattr(namespace, 'config', None)
    if not isinstance(config, str):
        return None
    try:
        cfg = Config.fromfile(config)
    except Exception as error:  # any failure is the answer here
        return f'{config}: {type(error).__name__}: {error}'
    for key in getattr(namespace, 'cfg_options', None) or {}:
        node = cfg
        for part in key.split('.')[:-1]:
            try:
                node = node[int(part) if isinstance(node, list) else part]
            except (KeyError, IndexError, ValueError, TypeError):
                return (f'--cfg-options {key}: {config} has no '
                        f'{key.rsplit(".", 1)[0]}')
    return None


def describe(parser: argparse.ArgumentParser) -> dict:
    """The options of a parser (with their choices) and its sub-commands."""
    options, commands = {}, {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            commands = {name: describe(sub)
                        for name, sub in action.choices.items()}
        for option in action.option_strings:
            options[option] = (sorted(map(str, action.choices))
                               if action.choices else None)
    return dict(options=options, commands=commands)


def answer(job: dict) -> dict:
    parser, namespace, error = run_until_parsed(job['tool'], job['argv'])
    if error is not None:
        return dict(error=error)
    if job['argv'] is None:
        return describe(parser)
    return dict(error=config_error(namespace))


def main() -> None:
    results = [answer(job) for job in json.load(sys.stdin)]
    print(json.dumps(results))


if __name__ == '__main__':
    main()
