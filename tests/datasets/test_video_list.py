"""Video list files: MMAction2's samples from good lists, errors naming
the list file and the line from bad ones, for both checked datasets."""
from pathlib import Path

import pytest
import torch
from mmaction.registry import DATASETS
from mmengine.config import Config

from mme_mmaction.datasets import VideoListEntry, read_video_list

ROOT = Path(__file__).resolve().parents[2]
# The steps CheckedRepeatAugDataset requires; lists are read before any.
REPEAT_PIPELINE = [
    dict(type='CheckedDecordInit'),
    dict(type='SampleFrames', clip_len=2, num_clips=1),
    dict(type='CheckedDecordDecode'),
]


def build(dataset_type, list_file, **kwargs):
    pipeline = REPEAT_PIPELINE if 'Repeat' in dataset_type else []
    return DATASETS.build(
        dict(type=dataset_type, ann_file=str(list_file), pipeline=pipeline,
             **kwargs))


def samples(dataset):
    """Every sample's info, tensors as lists."""
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    return [{k: v.tolist() if isinstance(v, torch.Tensor) else v
             for k, v in info.items()} for info in infos]


# A good line 1 and a blank line 2 before the bad line: its number counts
# blank lines.
@pytest.mark.parametrize('bad, message', [
    ('b.mp4  1', '2 spaces between path and label: separate them by a '
     'space'),
    ('b.mp4   1', '3 spaces between path and label'),
    ('my clip.mp4 1', "a space in the file name 'my clip.mp4'"),
    ('b.mp4\t1', "a tab in 'b.mp4\\t1': separate path and label by a "
     'space'),
    ('b.mp4 one', "the label 'one' is not an integer"),
    ('b.mp4 1.0', "the label '1.0' is not an integer"),
    ('my clip.mp4', "the label 'clip.mp4' is not an integer (if "
     "'my clip.mp4' is one file name: a space in a file name"),
    ('b.mp4 -1', 'label -1 is negative'),
    ('b.mp4 9', 'label 9 is out of range for num_classes=9 (labels 0 to '
     '8)'),
    ('b.mp4 1 2', '2 labels (1 2) for a single-label dataset'),
    ('b.mp4', 'no label, unlike line 1: give every video a label, or '
     'none'),
], ids=['two spaces', 'three spaces', 'space in name', 'tab', 'word label',
        'float label', 'space in name, no label', 'negative label',
        'label >= num_classes', 'two labels', 'label missing'])
@pytest.mark.parametrize('dataset_type',
                         ['CheckedVideoDataset', 'CheckedRepeatAugDataset'])
def test_bad_line_names_list_file_and_line(tmp_path, dataset_type, bad,
                                           message):
    list_file = tmp_path / 'train.txt'
    list_file.write_text(f'a.mp4 0\n\n{bad}\nc.mp4 2\n')
    with pytest.raises(ValueError) as error:
        build(dataset_type, list_file, num_classes=9)
    assert str(error.value).startswith(f'{list_file}:3: {message}')


@pytest.mark.parametrize('text, message', [
    ('a.mp4,,1', "2 ',' delimiters between path and label: separate them "
     "by a ','"),
    ('a.mp4,1,', "a ',' at the end of 'a.mp4,1,': remove it"),
    (',1', "no path before the label in ',1'"),
])
def test_bad_line_with_another_delimiter(tmp_path, text, message):
    list_file = tmp_path / 'list.csv'
    list_file.write_text(text + '\n')
    with pytest.raises(ValueError) as error:
        build('CheckedVideoDataset', list_file, delimiter=',')
    assert str(error.value) == f'{list_file}:1: {message}'


def test_multi_class_labels_in_range_and_one_space_apart(tmp_path):
    list_file = tmp_path / 'list.txt'
    list_file.write_text('a.mp4 1 4\nb.mp4 2  3\nc.mp4 0 5\n')
    with pytest.raises(ValueError) as error:
        build('CheckedVideoDataset', list_file, multi_class=True,
              num_classes=5)
    assert str(error.value).splitlines() == [
        f"{list_file}:2: spaces in a row between the labels of 'b.mp4 2  3':"
        ' separate labels by a space',
        f'{list_file}:3: label 5 is out of range for num_classes=5 (labels 0'
        " to 4): fix the label, or the dataset's num_classes",
    ]
    with pytest.raises(ValueError, match='multi-class list needs num_cl'):
        read_video_list(str(list_file), multi_class=True)


def test_every_bad_line_is_named_up_to_twenty(tmp_path):
    list_file = tmp_path / 'list.txt'
    list_file.write_text('a.mp4 0\n' + 'b.mp4  1\n' * 25)
    with pytest.raises(ValueError) as error:
        read_video_list(str(list_file))
    lines = str(error.value).splitlines()
    assert [line.split(': ')[0] for line in lines[:20]] == [
        f'{list_file}:{n}' for n in range(2, 22)]
    assert lines[20:] == [f'... and 5 more bad lines in {list_file}']


def test_labelled_lines_in_a_list_without_labels(tmp_path):
    list_file = tmp_path / 'test.txt'
    list_file.write_text('a.mp4\nb.mp4\nc.mp4 3\nd.mp4\n')
    with pytest.raises(ValueError) as error:
        build('CheckedVideoDataset', list_file, test_mode=True)
    assert str(error.value) == (
        f'{list_file}:3: a label, unlike line 1: give every video a label, '
        'or none (a list for inference)')


@pytest.mark.parametrize('dataset_type',
                         ['CheckedVideoDataset', 'CheckedRepeatAugDataset'])
def test_empty_list(tmp_path, dataset_type):
    list_file = tmp_path / 'empty.txt'
    list_file.write_text('\n  \n')
    with pytest.raises(ValueError) as error:
        build(dataset_type, list_file)
    assert str(error.value) == (
        f"{list_file}: the video list is empty: it needs one '<path> "
        "<label>' line per video")


def test_missing_or_undecodable_list(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        build('CheckedVideoDataset', tmp_path / 'absent.txt')
    assert str(error.value) == \
        f'{tmp_path / "absent.txt"}: no such video list file'
    latin1 = tmp_path / 'latin1.txt'
    latin1.write_bytes('caf\xe9.mp4 0\n'.encode('latin-1'))
    with pytest.raises(ValueError, match=f'{latin1}: not UTF-8 text'):
        build('CheckedVideoDataset', latin1)


def test_blank_lines_are_skipped(tmp_path):
    list_file = tmp_path / 'list.txt'
    list_file.write_text('\na.mp4 0\n \n\t\nb.mp4 1\r\n\n')
    assert read_video_list(str(list_file)) == [
        VideoListEntry(2, 'a.mp4', 0), VideoListEntry(5, 'b.mp4', 1)]
    clean = tmp_path / 'clean.txt'
    clean.write_text('a.mp4 0\nb.mp4 1\n')
    for dataset_type in ('CheckedVideoDataset', 'CheckedRepeatAugDataset'):
        assert samples(build(dataset_type, list_file)) == samples(
            build('VideoDataset', clean))
    # MMAction2's reads a blank line as a video named '' (the prefix).
    assert samples(build('VideoDataset', list_file))[-1]['filename'] == ''


@pytest.mark.parametrize('content, options', [
    ('a.mp4 0\nsub/b.mp4 3\n c.webm 12 \n', dict(data_prefix=dict(
        video='/videos'))),
    ('a.mp4 0\nsub/b.mp4 3\n', dict(data_root='/data',
                                    data_prefix=dict(video='videos'))),
    ('a.mp4 0\nsub/b.mp4 3\n', dict(num_classes=4)),
    ('a.mp4\nsub/b.mp4\n', dict(test_mode=True)),
    ('a.mp4 0 2\nb.mp4\nc.mp4 1\n', dict(multi_class=True, num_classes=3)),
    ('my clip.mp4,1\nb.mp4,0\n', dict(delimiter=',')),
    ('my clip.mp4\t1\nb.mp4\t0\n', dict(delimiter='\t')),
], ids=['absolute prefix', 'data_root', 'num_classes', 'no labels',
        'multi_class', 'comma', 'tab'])
def test_good_list_gives_mmaction2_samples(tmp_path, content, options):
    list_file = tmp_path / 'list.txt'
    list_file.write_text(content)
    stock = samples(build('VideoDataset', list_file, **options))
    assert samples(build('CheckedVideoDataset', list_file,
                         **options)) == stock
    assert stock  # the comparison covers samples
    if not options.get('test_mode'):
        assert samples(build('CheckedRepeatAugDataset', list_file,
                             **options)) == stock


def test_entries_keep_paths_and_line_numbers(tmp_path):
    list_file = tmp_path / 'list.txt'
    list_file.write_text('\nsub/a.mp4 7\n\nb.mp4 0\n')
    assert read_video_list(str(list_file)) == [
        VideoListEntry(line=2, path='sub/a.mp4', label=7),
        VideoListEntry(line=4, path='b.mp4', label=0)]
    # Without num_classes any label from 0 is valid (pre-training lists).
    assert read_video_list(str(list_file), num_classes=8)[0].label == 7
    with pytest.raises(ValueError, match=':2: label 7 is out of range'):
        read_video_list(str(list_file), num_classes=7)


def _datasets(cfg):
    """(name, dataset config) of a config's dataloaders, below wrappers."""
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = cfg.get(name, {}).get('dataset')
        while dataset is not None and 'dataset' in dataset:
            dataset = dataset.dataset
        if dataset is not None:
            yield name, dataset


CONFIGS = sorted(p for p in (ROOT / 'configs').rglob('*.py')
                 if '_base_' not in p.parts)


@pytest.mark.parametrize('path', CONFIGS,
                         ids=lambda p: str(p.relative_to(ROOT / 'configs')))
def test_configs_read_lists_checked(path):
    cfg = Config.fromfile(str(path))
    datasets = dict(_datasets(cfg))
    assert datasets
    for name, dataset in datasets.items():
        assert dataset.type in ('CheckedVideoDataset',
                                'CheckedRepeatAugDataset'), name
        if 'cls_head' in cfg.model:
            # Labels are checked against the classifier's classes.
            assert dataset.num_classes == cfg.model.cls_head.num_classes
        else:
            # Pre-training lists may carry any label.
            assert 'num_classes' not in dataset
