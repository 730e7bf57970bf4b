"""Every command in README.md, docs/*.md and configs/*/README.md runs, or at
least parses, as written.

The commands are the lines of the ```bash, ```sh and ```shell blocks
(backslash and pipe continuations joined, comments dropped, whitespace
collapsed) and the inline code spans that read ``python tools/...``,
``bash tools/...``, ``tools/<tool> <arguments>`` or ``make <target>``.
``COMMANDS`` says how each is checked, and a documented command missing
from it, or an entry no longer documented, fails the test:

- ``Run``: executed as written (``python`` is this interpreter, the
  repository is on ``PYTHONPATH``) in one workspace whose ``configs`` and
  ``tools`` are the repository's, with small settings appended where the
  entry says; it exits with 0 and writes or prints what the entry names.
  Commands that read SSv2 or Kinetics-400 get a few generated videos in
  those datasets' layouts.
- ``Parse``: too big for CI (data, checkpoints, GPUs, hours): the
  repository files it names exist, and its tool's parser takes its
  arguments (tests/tool_arguments.py), the config loading with the
  ``--cfg-options`` given.
- ``Synopsis``: placeholders (``CONFIG``, ``[--flag N]``, ``{a,b}``) or a
  fragment naming flags in prose: the tool exists and takes those flags.
- ``Skip``: ``make test``, which is CI itself.
"""
import ast
import functools
import json
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import (Callable, Dict, Iterator, List, NamedTuple, Optional, Set,
                    Tuple)

import pytest

from synthetic_video import moving_square, write_video

ROOT = Path(__file__).resolve().parents[1]
MARKDOWN = ('README.md', 'docs/*.md', 'configs/*/README.md')
SHELL_FENCES = ('bash', 'sh', 'shell')
CONTINUED = ('\\', '|', '&&', '||')
CODE_SPAN = re.compile(r'`([^`]+)`')
INLINE_COMMAND = re.compile(
    r'(?:python |bash )?tools/\S+\.(?:py|sh)(?: .+)?|make [a-z].*')
#: ``CONFIG``, ``OUT_DIR/data``, ``KEY=VALUE``, ``[--flag``, ``N]``,
#: ``{a,b}``, ``...``.
PLACEHOLDER = re.compile(r'[A-Z][A-Z0-9_]*(?:=[A-Z][A-Z0-9_]*|/.*)?'
                         r'|\[.*|.*\]|\{.*\}|\.\.\.')
#: Folders of the repository whose files commands name.
REPOSITORY_FOLDERS = ('configs', 'tools', 'docs', 'requirements')


def strip_comment(line: str) -> str:
    """The line without a trailing ``# ...`` comment outside quotes."""
    quote = None
    for i, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in '\'"':
            quote = char
        elif char == '#' and (i == 0 or line[i - 1].isspace()):
            return line[:i]
    return line


def fenced(lines: List[str]) -> Iterator[Tuple[bool, Optional[str]]]:
    """Per line: (a fence line, language of the block it is in or None)."""
    language = None
    for line in lines:
        if line.strip().startswith('```'):
            language = (line.strip()[3:].strip()
                        if language is None else None)
            yield True, None
        else:
            yield False, language


def block_commands(lines: List[str]) -> Iterator[Tuple[int, str]]:
    """(line number, command) of the shell blocks of a Markdown file."""
    pending, start = '', 0
    for number, (line, (_, language)) in enumerate(
            zip(lines, fenced(lines)), 1):
        text = strip_comment(line).strip()
        if language not in SHELL_FENCES or not text:
            continue
        start = start if pending else number
        pending += ' ' + text.rstrip('\\')
        if not text.endswith(CONTINUED):
            yield start, ' '.join(pending.split())
            pending = ''


def inline_commands(lines: List[str]) -> Iterator[Tuple[int, str]]:
    """(line number, command) of the prose's code spans that are commands
    (a span may wrap onto the next line)."""
    prose = '\n'.join(
        '' if fence or language is not None else line
        for line, (fence, language) in zip(lines, fenced(lines)))
    for match in CODE_SPAN.finditer(prose):
        text = ' '.join(match.group(1).split())
        if ' ' in text and INLINE_COMMAND.fullmatch(text):
            yield prose.count('\n', 0, match.start()) + 1, text


def documented_commands() -> Dict[str, List[str]]:
    """Every documented command -> where it is (``file:line``)."""
    found: Dict[str, List[str]] = {}
    for pattern in MARKDOWN:
        for path in sorted(ROOT.glob(pattern)):
            lines = path.read_text().splitlines()
            name = path.relative_to(ROOT).as_posix()
            for number, command in [*block_commands(lines),
                                    *inline_commands(lines)]:
                found.setdefault(command, []).append(f'{name}:{number}')
    return found


# --- the fake datasets that the data-preparation commands read ---


def sthv2_layout(root: Path) -> None:
    """data/sthv2 as docs/data_preparation.md draws it: the annotation
    files, three WebM videos (2 train, 1 val; the second train video, of
    24 frames, is shorter than ``--min-frames 32``)."""
    annotations = root / 'data/sthv2/annotations'
    annotations.mkdir(parents=True)
    templates = ['Pushing [something] from left to right',
                 'Moving [something] up']
    files = {
        'labels': {t.replace('[', '').replace(']', ''): str(i)
                   for i, t in enumerate(templates)},
        'train': [dict(id='1', template=templates[0]),
                  dict(id='2', template=templates[1])],
        'validation': [dict(id='3', template=templates[1])],
        'test': [dict(id='4')],
    }
    for name, content in files.items():
        (annotations / f'something-something-v2-{name}.json').write_text(
            json.dumps(content))
    videos = root / 'data/sthv2/videos'
    videos.mkdir()
    for name, frames in (('1', 40), ('2', 24), ('3', 40)):
        write_video(videos / f'{name}.webm', moving_square(frames))


def kinetics400_layout(root: Path) -> None:
    """data/kinetics400 as docs/data_preparation.md draws it: CSVs, a
    class folder per training class (one named with a space, as
    downloads name them), the validation videos in one folder."""
    k400 = root / 'data/kinetics400'
    (k400 / 'annotations').mkdir(parents=True)
    header = 'label,youtube_id,time_start,time_end,split\n'
    (k400 / 'annotations/train.csv').write_text(
        header + 'abseiling,aaaaaaaaaaa,14,24,train\n'
        'air drumming,bbbbbbbbbbb,1,11,train\n')
    (k400 / 'annotations/validate.csv').write_text(
        header + 'abseiling,ccccccccccc,2,12,val\n')
    for path in ('videos_train/abseiling/aaaaaaaaaaa_000014_000024.mp4',
                 'videos_train/air drumming/bbbbbbbbbbb_000001_000011.mp4',
                 'videos_val/ccccccccccc_000002_000012.mp4'):
        (k400 / path).parent.mkdir(parents=True, exist_ok=True)
        write_video(k400 / path, moving_square(8))


# --- how each documented command is checked ---


@dataclass(frozen=True)
class Run:
    """Executed in the workspace with ``append`` added, after the commands
    in ``after`` and on ``layout``: exits with 0, writes the file
    ``creates`` and prints a match of ``prints`` (either may be empty)."""

    creates: str = ''
    prints: str = ''
    append: str = ''
    after: Tuple[str, ...] = ()
    layout: Optional[Callable[[Path], None]] = None


@dataclass(frozen=True)
class RunRecipe(Run):
    """A make target: the tool commands of its recipe (``make -n``) are
    executed as Run commands, ``step_appends[tool]`` added to each."""

    step_appends: Dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Parse:
    """Not run here, for ``reason``; ``also_run_by`` names a test that runs
    it at a small scale."""

    reason: str
    also_run_by: str = ''


@dataclass(frozen=True)
class Synopsis:
    """Placeholders, or a fragment of a command in prose."""

    also_run_by: str = ''


@dataclass(frozen=True)
class Skip:
    reason: str


TOY = 'python tools/data/make_toy_dataset.py data/toy'
TOY_PRETRAIN = 'python tools/train.py configs/mme/vit-tiny_toy.py'
STHV2_LISTS = ('python tools/data/sthv2/build_sthv2_lists.py '
               'data/sthv2/annotations data/sthv2 --check-videos '
               'data/sthv2/videos')
K400_TRAIN_LIST = (
    'python tools/data/kinetics/build_k400_lists.py '
    'data/kinetics400/annotations/train.csv data/kinetics400/videos_train '
    'data/kinetics400/kinetics400_train_list_videos.txt')
K400_RENAME = ("find data/kinetics400/videos_train -mindepth 1 -maxdepth 1 "
               "-type d -name '* *' | while read -r d; do mv \"$d\" "
               "\"${d// /_}\"; done")
VQ_TOKENIZER = ('python tools/train_vq_tokenizer.py data/toy/train_list.txt '
                'work_dirs/vq_tokenizer_toy')
#: One epoch of one batch of two clips.
SMALL_PRETRAIN = ('--cfg-options train_cfg.max_epochs=1 '
                  'train_dataloader.dataset.indices=2 '
                  'train_dataloader.batch_size=2 '
                  'train_dataloader.num_workers=0')
#: One epoch of one batch of two clips, validated on two; no data workers
#: (persistent ones take seconds to shut down).
SMALL_FINETUNE = '--cfg-options train_cfg.max_epochs=1 ' + ' '.join(
    f'{loader}.{setting}' for loader in ('train_dataloader', 'val_dataloader')
    for setting in ('dataset.indices=2', 'batch_size=2', 'num_workers=0',
                    'persistent_workers=False'))
SSV2_VIT_B = 'ViT-B pre-training on SSv2'
K400_VIT_B = 'ViT-B on Kinetics-400'
FINETUNE_VIT_B = 'fine-tunes ViT-B on SSv2 from a 400-epoch pre-training'

COMMANDS = {
    'make test': Skip('the test suite: CI runs it'),
    TOY: Run(creates='data/toy/train_list.txt', prints='wrote 90 videos'),
    'python tools/data/make_toy_dataset.py data/toy_plain --plain': Run(
        creates='data/toy_plain/train_list.txt'),
    # Before `make toy`: both write work_dirs/vit-tiny_toy, and make toy's
    # --overwrite starts afresh over another run (the other way round is
    # refused, naming --overwrite).
    TOY_PRETRAIN: Run(
        creates='work_dirs/vit-tiny_toy/epoch_1.pth', append=SMALL_PRETRAIN,
        after=(TOY,)),
    # 30 epochs of one clip: the epoch_30.pth that the toy fine-tuning
    # configs load.
    'make toy': RunRecipe(
        creates='work_dirs/vit-tiny_toy/epoch_30.pth',
        prints='logged loss_traj of work_dirs/vit-tiny_toy',
        after=(TOY_PRETRAIN,),
        step_appends={
            'tools/data/make_toy_dataset.py': '',
            'tools/data/extract_trajectories.py': '',
            'tools/train.py': (
                '--cfg-options train_dataloader.dataset.times=1 '
                'train_dataloader.dataset.dataset.indices=1 '
                'train_dataloader.batch_size=1 '
                'train_dataloader.num_workers=0'),
            'tools/analysis/trajectory_loss_baselines.py':
            '--num-samples 2',
        }),
    'python tools/train.py configs/recognition/vit-tiny_mme-pre_toy.py': Run(
        creates='work_dirs/vit-tiny_mme-pre_toy/epoch_1.pth',
        prints='Loads checkpoint .*work_dirs/vit-tiny_toy/epoch_30.pth',
        append=SMALL_FINETUNE, after=('make toy',)),
    'python tools/train.py configs/recognition/vit-tiny_mme-pre_toy.py '
    '--cfg-options model.backbone.init_cfg=None --work-dir '
    'work_dirs/toy_scratch': Run(
        creates='work_dirs/toy_scratch/epoch_1.pth', append=SMALL_FINETUNE,
        after=(TOY,)),
    'python tools/train.py '
    'configs/recognition/vit-tiny_mme-pre_linear-probe_toy.py': Run(
        creates='work_dirs/vit-tiny_mme-pre_linear-probe_toy/epoch_1.pth',
        prints='Loads checkpoint .*work_dirs/vit-tiny_toy/epoch_30.pth',
        append=SMALL_FINETUNE, after=('make toy',)),
    VQ_TOKENIZER: Run(
        creates='work_dirs/vq_tokenizer_toy/vq_tokenizer.pth',
        append='--ae-steps 2 --steps 2 --batch-size 2 --frames-per-video 1 '
        '--val-videos 1', after=(TOY,)),
    'python tools/train.py configs/mam2/vit-tiny_toy_mam2.py': Run(
        creates='work_dirs/vit-tiny_toy_mam2/epoch_1.pth',
        append=SMALL_PRETRAIN, after=(VQ_TOKENIZER,)),
    'python tools/visualize_targets.py '
    'data/toy/videos/rotate_cw/rotate_cw_000.mp4 --out vis/rotate_cw': Run(
        creates='vis/rotate_cw/trajectories.gif', after=(TOY,)),
    'python -c "import mme_mmaction, os; print(os.path.join('
    'os.path.dirname(mme_mmaction.__file__), \'.mim\', \'configs\'))"': Run(
        prints=r'(?m)mme_mmaction/\.mim/configs$'),
    STHV2_LISTS: Run(
        creates='data/sthv2/sthv2_train_list_videos.txt',
        prints='train: 2 videos', layout=sthv2_layout),
    K400_RENAME: Run(
        creates='data/kinetics400/videos_train/air_drumming',
        layout=kinetics400_layout),
    K400_TRAIN_LIST: Run(
        creates='data/kinetics400/kinetics400_train_list_videos.txt',
        prints='2 of 2 CSV rows listed', after=(K400_RENAME,),
        layout=kinetics400_layout),
    'python tools/data/kinetics/build_k400_lists.py '
    'data/kinetics400/annotations/validate.csv data/kinetics400/videos_val '
    'data/kinetics400/kinetics400_val_list_videos.txt': Run(
        creates='data/kinetics400/kinetics400_val_list_videos.txt',
        prints='1 of 1 CSV rows listed', layout=kinetics400_layout),
    'python tools/data/build_pretrain_list.py '
    'data/sthv2/sthv2_pretrain_list_videos.txt --list '
    'data/sthv2/sthv2_train_list_videos.txt data/sthv2/videos '
    '--min-frames 32 --workers 8': Run(
        creates='data/sthv2/sthv2_pretrain_list_videos.txt',
        prints=r'dropped 1 videos with fewer than 32 frames: 2\.webm',
        after=(STHV2_LISTS,)),
    'python tools/data/build_pretrain_list.py '
    'data/k400_sthv2_pretrain_list.txt --list '
    'data/kinetics400/kinetics400_train_list_videos.txt '
    'data/kinetics400/videos_train --list '
    'data/sthv2/sthv2_train_list_videos.txt data/sthv2/videos': Run(
        creates='data/k400_sthv2_pretrain_list.txt',
        prints='4 videos -> .* relative to data:',
        after=(K400_TRAIN_LIST, STHV2_LISTS)),
    'python tools/data/extract_trajectories.py '
    'data/sthv2/sthv2_train_list_videos.txt data/sthv2/trajectories '
    '--video-root data/sthv2/videos --workers 16': Run(
        creates='data/sthv2/trajectories/1.npy', prints='Done: 2 videos',
        after=(STHV2_LISTS,)),
    # Too big for CI.
    'tools/dist_train.sh configs/mme/vitb_ssv2.py 8': Parse(
        f'{SSV2_VIT_B}, 8 processes'),
    'tools/dist_train.sh configs/mme/vitb_k400.py 16': Parse(
        f'{K400_VIT_B}, 16 processes'),
    'python tools/train.py configs/mme/vitb_ssv2.py --cfg-options '
    'train_dataloader.dataset.ann_file=/datasets/ssv2/'
    'sthv2_train_list_videos.txt '
    'train_dataloader.dataset.data_prefix.video=/datasets/ssv2/videos':
    Parse(f'{SSV2_VIT_B} in /datasets/ssv2'),
    'tools/dist_train.sh configs/recognition/vit-base-p16_mme-pre_u16_sthv2.py'
    ' 8 --cfg-options model.backbone.init_cfg.checkpoint='
    'work_dirs/vitb_ssv2/epoch_400.pth': Parse(FINETUNE_VIT_B),
    'tools/dist_train.sh configs/recognition/vit-base-p16_mme-pre_u16_sthv2.py'
    ' 8 --cfg-options model.backbone.init_cfg.checkpoint='
    'work_dirs/vitb_ssv2_motionmae/epoch_400.pth': Parse(FINETUNE_VIT_B),
    'tools/dist_test.sh configs/recognition/vit-base-p16_mme-pre_u16_sthv2.py '
    'work_dirs/vit-base-p16_mme-pre_u16_sthv2/best_acc_top1_epoch_30.pth 8':
    Parse('tests a fine-tuned ViT-B on SSv2'),
    'tools/dist_train.sh configs/mam2/vitb_k400_mam2.py 16': Parse(
        f'MAM2 {K400_VIT_B}, 16 processes'),
    'tools/dist_train.sh '
    'configs/recognition/vit-base-p16_mme-pre_16x4x1_kinetics400.py 8 '
    '--cfg-options model.backbone.init_cfg.checkpoint='
    'work_dirs/vitb_k400_mam2/epoch_1600.pth': Parse(
        f'fine-tunes {K400_VIT_B} from a 1600-epoch pre-training'),
    'tools/dist_train.sh configs/motionmae/vitb_ssv2_motionmae.py 8': Parse(
        f'MotionMAE {SSV2_VIT_B}, 8 processes'),
    'tools/dist_train.sh configs/mgmae/vitb_ssv2_mgmae.py 8': Parse(
        f'MGMAE-style {SSV2_VIT_B}, 8 processes'),
    'python tools/train.py configs/mgmae/vit-tiny_toy_mgmae.py': Run(
        creates='work_dirs/vit-tiny_toy_mgmae/epoch_1.pth',
        append=SMALL_PRETRAIN, after=(TOY,)),
    'python tools/convert_checkpoint.py RELEASE.pth mme_vitb.pth --to '
    'recognizer': Parse('needs the release\'s checkpoint'),
    'python tools/analysis/trajectory_loss_baselines.py '
    'configs/mme/vitb_ssv2.py --num-samples 64 --checkpoint '
    'work_dirs/vitb_ssv2/epoch_400.pth': Parse(
        'SSv2 and a 400-epoch ViT-B checkpoint'),
    'python tools/analysis/benchmark_encoder.py --rounds 3 --repeats 2': Parse(
        'a ViT-B benchmark of about 5 minutes'),
    'python tools/analysis/benchmark_encoder.py --config '
    'configs/mme/vit-tiny_toy.py --batch 16 --variants ours-pretrain '
    'ours-pretrain-fp32 --rounds 3 --repeats 10': Parse(
        'a benchmark of half a minute, timing only'),
    'python tools/analysis/benchmark_study_step.py --rounds 3 --steps 30':
    Parse('a benchmark of a minute on the study\'s data',
          'tests/tools/test_benchmark_study_step.py::'
          'test_a_tiny_run_times_both_precisions'),
    'python tools/analysis/benchmark_pipeline.py --video VIDEO --rounds 5 '
    '--clips 8': Synopsis(),
    'python tools/analysis/study.py --curve mme_none --seeds 0 1': Parse(
        'two runs of the whole budget',
        'tests/analysis/test_study_tables.py::'
        'test_the_budget_is_the_first_point_where_every_seed_is_below'),
    'python tools/analysis/study.py --table configs/mme/README.md': Parse(
        'the hours-long study',
        'tests/tools/test_study.py::'
        'test_an_interrupted_study_resumes_to_the_same_table'),
    'python tools/analysis/target_options.py configs/mme/vit-tiny_toy.py '
    '--seeds 0 --steps 1200 --variant ref --variant lr_1e-3 lr=0.001 '
    '--variant interval_2 train_dataloader.dataset.pipeline.1.frame_interval=2'
    ' train_dataloader.dataset.pipeline.2.traj_len=2 '
    'model.motion_generator.traj_len=2 --variant plain '
    'train_dataloader.dataset.ann_file=data/toy_plain/train_list.txt '
    '"train_dataloader.dataset.data_prefix={\'video\':\'data/toy_plain\'}" '
    '--variant batch_8 train_dataloader.batch_size=8 steps=2400 --variant '
    'batch_4 train_dataloader.batch_size=4 steps=4800 --variant steps_2400 '
    'steps=2400 --variant steps_3600 steps=3600': Parse(
        'hours of toy training'),
    'python tools/analysis/target_options.py configs/mme/vit-tiny_toy.py '
    '--seeds 0 1 --variant faithful model.motion_generator.norm=patch_std '
    'model.motion_generator.patch_std_min_std=0.0 '
    '"model.motion_head.act_cfg={\'type\':\'Tanh\'}" '
    '--variant patch_std_floor model.motion_generator.norm=patch_std '
    'model.motion_generator.patch_std_min_std=0.5 '
    '"model.motion_head.act_cfg={\'type\':\'Tanh\'}" --variant raw '
    'model.motion_generator.norm=none --variant log '
    'model.motion_generator.norm=log --variant patch_std_mean '
    'model.motion_generator.norm=patch_std_mean '
    'model.motion_generator.patch_std_min_std=0.5': Parse(
        'an hour of toy training'),
    'make toy TOY_OPTIONS=train_dataloader.dataset.times=27': Parse(
        '25 minutes of training; `make toy` runs here at a small scale'),
    'make install': Parse('installs the pinned stack from the network'),
    'source .venv/bin/activate': Parse('needs `make install`'),
    # In prose, without the interpreter.
    'tools/train.py configs/mme/vit-tiny_toy.py': Parse(
        f'prose; {TOY_PRETRAIN!r} runs'),
    'tools/data/make_toy_dataset.py data/toy': Parse(f'prose; {TOY!r} runs'),
    # Synopses.
    'tools/dist_train.sh CONFIG GPUS [ARGS]': Synopsis(),
    'tools/dist_train.sh CONFIG N [ARGS]': Synopsis(),
    'tools/dist_train.sh CONFIG GPUS --cfg-options ...': Synopsis(),
    'tools/slurm_train.sh PARTITION mme_k400 configs/mme/vitb_k400.py':
    Synopsis(),
    'tools/dist_test.sh configs/recognition/vit-base-p16_mme-pre_u16_sthv2.py '
    'CKPT 8': Synopsis(),
    'tools/train.py --amp': Synopsis(),
    'tools/train.py CONFIG --amp --seed 0': Synopsis(),
    'tools/test.py --show-dir': Synopsis(),
    'tools/convert_checkpoint.py --to recognizer': Synopsis(),
    'tools/convert_checkpoint.py CKPT OUT --to recognizer --num-frames 32':
    Synopsis(),
    'python tools/convert_checkpoint.py SRC DST --to {recognizer,mme} '
    '[--num-frames N] [--img-size S] [--config CFG] [--strict] '
    '[--trust-source]': Synopsis(),
    'python tools/analysis/trajectory_loss_baselines.py CONFIG --checkpoint '
    'CKPT': Synopsis(),
    'tools/analysis/trajectory_loss_baselines.py --work-dir': Synopsis(),
    'tools/data/build_pretrain_list.py --list': Synopsis(),
    'tools/data/make_toy_dataset.py OUT_DIR/data_cuda': Synopsis(),
    'bash tools/analysis/gpu_check.sh [OUT_DIR]': Synopsis(
        'tests/tools/test_gpu_check.py::'
        'test_cpu_run_prints_every_run_with_its_figures'),
    'tools/analysis/gpu_check.py prepare': Synopsis(),
    'tools/analysis/gpu_check.py report': Synopsis(),
    'python tools/analysis/get_flops.py CONFIG': Synopsis(),
    'tools/analysis/target_stats.py CONFIG [--videos FILES]': Synopsis(),
    'python tools/analysis/target_stats.py configs/mme/vit-tiny_toy.py '
    '--num-samples 64 [--cfg-options model.motion_generator.norm=patch_std '
    'model.motion_generator.patch_std_min_std=0]': Synopsis(),
    'python tools/analysis/target_stats.py configs/mme/vitb_k400.py '
    '--num-samples 16 --videos VIDEO.mp4 [VIDEO.mp4 ...] [--cfg-options '
    'model.motion_generator.patch_std_min_std=0 | '
    'model.motion_generator.norm=none]': Synopsis(),
    'tools/analysis/target_options.py CONFIG --variant NAME KEY=VALUE ...':
    Synopsis(),
    'python tools/analysis/target_options.py '
    'configs/mme/vit-tiny_real-clips.py --videos VIDEO.mp4 [VIDEO.mp4 ...] '
    '--seeds 0 1 --steps 1200 --variant patch_std_floor '
    'model.motion_generator.norm=patch_std '
    'model.motion_generator.patch_std_min_std=0.5 '
    '"model.motion_head.act_cfg={\'type\':\'Tanh\'}" --variant '
    'patch_std_exact model.motion_generator.norm=patch_std '
    'model.motion_generator.patch_std_min_std=0.0 '
    '"model.motion_head.act_cfg={\'type\':\'Tanh\'}" --variant release '
    'model.motion_generator.norm=patch_std '
    'model.motion_generator.patch_std_min_std=0.0 '
    'model.motion_generator.whole_pixels=True '
    '"model.motion_head.act_cfg={\'type\':\'Tanh\'}" --variant none_scaled '
    'model.motion_generator.norm=none model.motion_generator.scale=1.5 '
    '--variant log model.motion_generator.norm=log --variant patch_std_mean '
    'model.motion_generator.norm=patch_std_mean '
    'model.motion_generator.patch_std_min_std=0.5': Synopsis(
        'tests/tools/test_target_options.py::'
        'test_heldout_clips_come_from_the_configs_heldout_pipeline'),
}


def of_kind(*kinds: type) -> List[str]:
    return [c for c, check in COMMANDS.items() if isinstance(check, kinds)]


def short(command: str) -> str:
    """A test id."""
    return command if len(command) < 80 else command[:76] + '...'


# --- tools, launch scripts and make targets ---


class Launcher(NamedTuple):
    """A launch script: the tool it runs, the tool's argv from the
    script's, and which script argument is the number of processes."""

    tool: str
    argv: Callable[[List[str]], List[str]]
    nproc: Optional[int]


LAUNCHERS = {
    'tools/dist_train.sh': Launcher(
        'tools/train.py', lambda a: [a[0], '--launcher', 'pytorch', *a[2:]],
        1),
    'tools/dist_test.sh': Launcher(
        'tools/test.py',
        lambda a: [*a[:2], '--launcher', 'pytorch', *a[3:]], 2),
    'tools/slurm_train.sh': Launcher(
        'tools/train.py', lambda a: [*a[2:], '--launcher', 'slurm'], None),
}


def python_tool(tool: str) -> str:
    """The tool itself, or the Python tool a launch script runs."""
    return LAUNCHERS[tool].tool if tool in LAUNCHERS else tool


def words(command: str) -> List[str]:
    """The command's words, without the interpreter."""
    found = shlex.split(command)
    return found[1:] if found[0] in ('python', 'bash') else found


def tool_argv(command: str) -> Tuple[str, List[str]]:
    """The Python tool a command runs and its argv (what a launch script
    hands on, for a launch script)."""
    tool, *args = words(command)
    if tool not in LAUNCHERS:
        return tool, args
    launcher = LAUNCHERS[tool]
    if launcher.nproc is not None:
        assert args[launcher.nproc].isdigit(), (
            f'{command}: argument {launcher.nproc + 1} of {tool} is the '
            'number of processes')
    return launcher.tool, launcher.argv(args)


@functools.lru_cache(maxsize=None)
def make_dry_run(command: str) -> Tuple[int, str]:
    """Exit status and output of ``make -n`` for a documented ``make``
    command, every step included (``-B``), with ``python`` as ``$(PY)``."""
    done = subprocess.run(
        ['make', '--no-print-directory', '-n', '-B', '-C', str(ROOT),
         *shlex.split(command)[1:], 'PY=python'],
        capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout + done.stderr


def recipe_tool_commands(command: str) -> List[str]:
    """The ``python tools/...`` commands of a make command's recipe."""
    status, output = make_dry_run(command)
    assert status == 0, output
    lines = output.replace('\\\n', ' ').splitlines()
    return [' '.join(line.split()) for line in lines
            if line.startswith('python tools/')]


def missing_repository_files(command: str) -> List[str]:
    """Paths into the repository that a command names and that are not
    there."""
    return [
        word for word in words(command)
        if word.split('/')[0] in REPOSITORY_FOLDERS and '/' in word
        and not PLACEHOLDER.fullmatch(word) and not (ROOT / word).exists()
    ]


# --- the workspace the Run commands share ---


class Outcome(NamedTuple):
    returncode: int
    output: str


class Workspace:
    """A folder with the repository's configs and tools in which the Run
    commands execute, each once, after what they need."""

    def __init__(self, root: Path) -> None:
        self.root = root
        for name in ('configs', 'tools'):
            (root / name).symlink_to(ROOT / name)
        # One thread per process: the runs are too small to gain from two,
        # and threads waiting for each other on a busy machine multiply
        # their time.
        self.env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS='1')
        self.executed: Dict[str, Outcome] = {}
        self.layouts: Set[Callable[[Path], None]] = set()

    def execute(self, command: str) -> Outcome:
        """Run a command line once, ``python`` being this interpreter."""
        if command not in self.executed:
            line = (shlex.quote(sys.executable) + command[len('python'):]
                    if command.startswith('python ') else command)
            done = subprocess.run(['bash', '-c', line], cwd=self.root,
                                  env=self.env, capture_output=True,
                                  text=True, timeout=600)
            self.executed[command] = Outcome(done.returncode,
                                             done.stdout + done.stderr)
        return self.executed[command]

    def run(self, command: str) -> Outcome:
        """A documented Run command, as its entry says."""
        check = COMMANDS[command]
        for needed in check.after:
            if self.run(needed).returncode:
                pytest.fail(f'needs {needed!r}, which failed')
        if check.layout and check.layout not in self.layouts:
            check.layout(self.root)
            self.layouts.add(check.layout)
        if not isinstance(check, RunRecipe):
            return self.execute(f'{command} {check.append}'.strip())
        steps = recipe_tool_commands(command)
        tools = [words(step)[0] for step in steps]
        assert sorted(tools) == sorted(check.step_appends), (
            f'{command!r} runs {tools}: say in COMMANDS what to append')
        outcomes = []
        for step, tool in zip(steps, tools):
            outcomes.append(
                self.execute(f'{step} {check.step_appends[tool]}'.strip()))
            if outcomes[-1].returncode:
                break
        return Outcome(outcomes[-1].returncode,
                       ''.join(o.output for o in outcomes))


@pytest.fixture(scope='module')
def workspace(tmp_path_factory):
    return Workspace(tmp_path_factory.mktemp('documented_commands'))


@pytest.fixture(scope='module')
def tool_arguments():
    """What tests/tool_arguments.py answers for the Parse commands' argvs
    and the Synopsis commands' tools, in one process."""
    jobs = []
    for command in of_kind(Parse):
        if command.startswith('make '):
            jobs += [tool_argv(c) for c in recipe_tool_commands(command)]
        elif words(command)[0].startswith('tools/'):
            jobs.append(tool_argv(command))
    for command in of_kind(Synopsis):
        tool = python_tool(words(command)[0])
        if tool.endswith('.py'):
            jobs.append((tool, None))
    unique = list(dict.fromkeys(
        (t, None if a is None else tuple(a)) for t, a in jobs))
    done = subprocess.run(
        [sys.executable, str(ROOT / 'tests/tool_arguments.py')],
        input=json.dumps([dict(tool=t, argv=a) for t, a in unique]),
        cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    # The last line: a tool may print to stdout from C on the way.
    return dict(zip(unique, json.loads(done.stdout.splitlines()[-1])))


def parse_error(tool_arguments, command: str) -> Optional[str]:
    tool, argv = tool_argv(command)
    return tool_arguments[tool, tuple(argv)]['error']


# --- the tests ---


def test_every_documented_command_is_classified():
    documented = documented_commands()
    assert len(documented) > 50  # the extraction finds the commands at all
    missing = [f'{c!r} ({", ".join(places)})'
               for c, places in documented.items() if c not in COMMANDS]
    stale = [c for c in COMMANDS if c not in documented]
    assert not missing, (
        'Documented commands that COMMANDS does not classify (Run, Parse, '
        'Synopsis or Skip):\n' + '\n'.join(missing))
    assert not stale, (
        'COMMANDS entries that no document has any more:\n'
        + '\n'.join(map(repr, stale)))


def test_commands_with_placeholders_are_synopses():
    wrong = [c for c in COMMANDS if not isinstance(COMMANDS[c], Synopsis)
             and any(PLACEHOLDER.fullmatch(w) for w in words(c))]
    assert not wrong, f'placeholders in commands classified to run: {wrong}'


def test_only_make_test_is_skipped():
    assert of_kind(Skip) == ['make test']


@pytest.mark.parametrize(
    'test', sorted({c.also_run_by for c in COMMANDS.values()
                    if getattr(c, 'also_run_by', '')}))
def test_tests_named_as_running_a_command_exist(test):
    path, name = test.split('::')
    tree = ast.parse((ROOT / path).read_text())
    assert name in {node.name for node in ast.walk(tree)
                    if isinstance(node, ast.FunctionDef)}


@pytest.mark.parametrize('command', of_kind(Run), ids=short)
def test_command_runs(command, workspace):
    check = COMMANDS[command]
    assert check.creates or check.prints, 'say what the command does'
    outcome = workspace.run(command)
    assert outcome.returncode == 0, outcome.output[-3000:]
    assert (workspace.root / check.creates).exists(), outcome.output[-3000:]
    assert re.search(check.prints, outcome.output), outcome.output[-3000:]


@pytest.mark.parametrize('command', of_kind(Parse), ids=short)
def test_command_parses(command, tool_arguments):
    assert not missing_repository_files(command)
    first = words(command)[0]
    if first == 'make':
        for step in recipe_tool_commands(command):
            assert not missing_repository_files(step), step
            error = parse_error(tool_arguments, step)
            assert error is None, f'{step}: {error}'
    elif first == 'source':
        # The environment it activates is the one `make install` creates.
        venv = words(command)[1].split('/bin/')[0]
        assert f'-m venv {venv}' in make_dry_run('make install')[1]
    else:
        error = parse_error(tool_arguments, command)
        assert error is None, error


def flag_errors(command: str, parser: dict) -> List[str]:
    """Flags a synopsis names that the parser lacks, and choices it does
    not offer (``--to recognizer``, ``--to {recognizer,mme}``)."""
    names = [w.strip('[]') for w in words(command)[1:]]
    options = dict(parser['options'])
    for name in names:
        options.update(parser['commands'].get(name, {}).get('options', {}))
    errors = []
    for flag, value in zip(names, names[1:] + ['']):
        flag = flag.split('=')[0]
        if not flag.startswith('--'):
            continue
        if flag not in options:
            errors.append(f'no {flag}')
        elif options[flag] and value.startswith('{'):
            if sorted(value.strip('{}').split(',')) != options[flag]:
                errors.append(f'{flag} takes {options[flag]}, not {value}')
        elif (options[flag] and value and not value.startswith('-')
              and not PLACEHOLDER.fullmatch(value)
              and value not in options[flag]):
            errors.append(f'{flag} takes {options[flag]}, not {value}')
    return errors


@pytest.mark.parametrize('command', of_kind(Synopsis), ids=short)
def test_synopsis_names_what_its_tool_takes(command, tool_arguments):
    tool = words(command)[0]
    assert (ROOT / tool).is_file()
    assert not missing_repository_files(command)
    if python_tool(tool).endswith('.py'):
        parser = tool_arguments[python_tool(tool), None]
        assert 'options' in parser, parser
        assert not flag_errors(command, parser)
    else:  # a shell script that takes no options
        assert not [w for w in words(command) if w.startswith('-')]
