"""Tests for the list builders in tools/data (SSv2, K400, pre-training)."""
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
SSV2_TOOL = ROOT / 'tools/data/sthv2/build_sthv2_lists.py'
K400_TOOL = ROOT / 'tools/data/kinetics/build_k400_lists.py'
PRETRAIN_TOOL = ROOT / 'tools/data/build_pretrain_list.py'


def load_tool(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ssv2 = load_tool(SSV2_TOOL)
k400 = load_tool(K400_TOOL)
pretrain = load_tool(PRETRAIN_TOOL)


def run_cli(tool, *args, cwd=None):
    # The tools import mme_mmaction: this checkout's, not an installed one.
    return subprocess.run([sys.executable, str(tool), *map(str, args)],
                          capture_output=True, text=True, timeout=60,
                          cwd=cwd, env=dict(os.environ, PYTHONPATH=str(ROOT)))


def touch(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b'')
    return path


# ----------------------------------------------------------------- SSv2 ----

SSV2_LABELS = {
    'Approaching something with your camera': '0',
    'Holding something next to something': '1',
    'Putting something on a surface': '2',
}
SSV2_TRAIN = [
    {'id': '78687', 'label': 'holding potato next to vicks vaporub bottle',
     'template': 'Holding [something] next to [something]',
     'placeholders': ['potato', 'vicks vaporub bottle']},
    {'id': '42', 'label': 'approaching a cup with your camera',
     'template': 'Approaching [something] with your camera',
     'placeholders': ['a cup']},
]
SSV2_VAL = [
    {'id': '100', 'label': 'putting a pen on a surface',
     'template': 'Putting [something] on a surface',
     'placeholders': ['a pen']},
]


@pytest.fixture
def ssv2_anno(tmp_path):
    anno = tmp_path / 'annotations'
    anno.mkdir()
    for name, data in [('labels', SSV2_LABELS), ('train', SSV2_TRAIN),
                       ('validation', SSV2_VAL), ('test', [{'id': '7'}])]:
        (anno / f'something-something-v2-{name}.json').write_text(
            json.dumps(data))
    return anno


def test_template_key_removes_brackets():
    assert ssv2.template_key('Holding [something] next to [something]') \
        == 'Holding something next to something'


def test_sthv2_lists_exact(ssv2_anno, tmp_path):
    out = tmp_path / 'out'
    result = ssv2.build_sthv2_lists(str(ssv2_anno), str(out))
    assert (out / 'sthv2_train_list_videos.txt').read_text() == \
        '78687.webm 1\n42.webm 0\n'
    assert (out / 'sthv2_val_list_videos.txt').read_text() == '100.webm 2\n'
    assert sorted(p.name for p in out.iterdir()) == [
        'sthv2_train_list_videos.txt', 'sthv2_val_list_videos.txt']
    assert result['train']['num_videos'] == 2
    assert result['train']['missing'] == result['val']['missing'] == []


def test_sthv2_video_ext(ssv2_anno, tmp_path):
    ssv2.build_sthv2_lists(str(ssv2_anno), str(tmp_path), video_ext='.mp4')
    assert (tmp_path / 'sthv2_val_list_videos.txt').read_text() == \
        '100.mp4 2\n'


def test_sthv2_check_videos(ssv2_anno, tmp_path):
    videos = tmp_path / 'videos'
    touch(videos / '78687.webm')
    touch(videos / '100.webm')
    result = ssv2.build_sthv2_lists(str(ssv2_anno), str(tmp_path / 'out'),
                                    video_dir=str(videos))
    assert result['train']['missing'] == ['42.webm']
    assert result['val']['missing'] == []

    proc = run_cli(SSV2_TOOL, ssv2_anno, tmp_path / 'cli', '--check-videos',
                   videos)
    assert proc.returncode == 1
    assert '42.webm' in proc.stderr and '1 missing' in proc.stderr
    # The lists are written all the same.
    assert (tmp_path / 'cli/sthv2_train_list_videos.txt').exists()

    touch(videos / '42.webm')
    proc = run_cli(SSV2_TOOL, ssv2_anno, tmp_path / 'cli', '--check-videos',
                   videos)
    assert proc.returncode == 0, proc.stderr
    assert 'train: 2 videos' in proc.stdout


def test_sthv2_malformed_json_names_file(ssv2_anno, tmp_path):
    bad = ssv2_anno / 'something-something-v2-validation.json'
    bad.write_text('[{"id": "1", ')
    with pytest.raises(ssv2.AnnotationError, match=str(bad)):
        ssv2.build_sthv2_lists(str(ssv2_anno), str(tmp_path / 'out'))
    # Parsing precedes writing: no partial output.
    assert not (tmp_path / 'out').exists()
    proc = run_cli(SSV2_TOOL, ssv2_anno, tmp_path / 'out')
    assert proc.returncode != 0
    assert str(bad) in proc.stderr and 'not valid JSON' in proc.stderr


@pytest.mark.parametrize('content, message', [
    ('{"Holding something": "one"}', 'not an integer'),
    ('["Holding something"]', 'non-empty JSON object'),
])
def test_sthv2_bad_labels_file(ssv2_anno, tmp_path, content, message):
    labels = ssv2_anno / 'something-something-v2-labels.json'
    labels.write_text(content)
    with pytest.raises(ssv2.AnnotationError, match=message) as error:
        ssv2.build_sthv2_lists(str(ssv2_anno), str(tmp_path))
    assert str(labels) in str(error.value)


def test_sthv2_missing_file(ssv2_anno, tmp_path):
    labels = ssv2_anno / 'something-something-v2-labels.json'
    labels.unlink()
    proc = run_cli(SSV2_TOOL, ssv2_anno, tmp_path / 'out')
    assert proc.returncode == 1
    assert f'{labels}: file not found' in proc.stderr


def test_sthv2_unknown_template(ssv2_anno, tmp_path):
    train = ssv2_anno / 'something-something-v2-train.json'
    train.write_text(json.dumps(
        SSV2_TRAIN + [{'id': '9', 'template': 'Spinning [something]'}]))
    with pytest.raises(ssv2.AnnotationError) as error:
        ssv2.build_sthv2_lists(str(ssv2_anno), str(tmp_path))
    message = str(error.value)
    assert str(train) in message and 'video 9' in message
    assert "'Spinning something'" in message
    assert 'something-something-v2-labels.json' in message


def test_sthv2_entry_without_template(ssv2_anno, tmp_path):
    train = ssv2_anno / 'something-something-v2-train.json'
    train.write_text(json.dumps([{'id': '9'}]))
    with pytest.raises(ssv2.AnnotationError, match='entry 0 has no'):
        ssv2.build_sthv2_lists(str(ssv2_anno), str(tmp_path))


# ----------------------------------------------------------------- K400 ----

K400_CSV = '''label,youtube_id,time_start,time_end,split,is_cc
abseiling,aaa,14,24,train,0
air drumming,bbb,0.0,10.0,train,0
"passing American football (in game)",ccc,5,15,train,0
zumba,ddd,30,40,train,0
abseiling,aaa,14,24,train,0
'''
K400_FILES = ['abseiling/aaa_000014_000024.mp4',
              'air_drumming/bbb_000000_000010.mp4',
              'passing_American_football_(in_game)/ccc_000005_000015.mkv']


@pytest.fixture
def k400_data(tmp_path):
    csv_path = tmp_path / 'train.csv'
    csv_path.write_text(K400_CSV)
    videos = tmp_path / 'videos_train'
    for rel in K400_FILES:
        touch(videos / rel)
    return csv_path, videos


def test_k400_class_folders(k400_data, tmp_path):
    csv_path, videos = k400_data
    out = tmp_path / 'lists/kinetics400_train_list_videos.txt'
    info = k400.build_k400_list(str(csv_path), str(videos), str(out))
    assert out.read_text() == (
        'abseiling/aaa_000014_000024.mp4 0\n'
        'air_drumming/bbb_000000_000010.mp4 1\n'
        'passing_American_football_(in_game)/ccc_000005_000015.mkv 2\n')
    assert info == dict(num_rows=5, num_listed=3,
                        missing=['ddd_000030_000040'], duplicates=1,
                        num_classes=4)


def test_k400_flat_dir_and_own_folder_wins(k400_data, tmp_path):
    csv_path, _ = k400_data
    flat = tmp_path / 'flat'
    touch(flat / 'aaa_000014_000024.mp4')
    touch(flat / 'bbb_000000_000010.webm')
    # Same clip in another class's folder and in its own: its own wins.
    touch(flat / 'abseiling/ccc_000005_000015.mp4')
    touch(flat / 'passing American football (in game)/'
          'ccc_000005_000015.mp4')
    with pytest.raises(k400.AnnotationError, match='whitespace'):
        k400.build_k400_list(str(csv_path), str(flat), str(tmp_path / 'l'))
    (flat / 'passing American football (in game)').rename(
        flat / 'passing_American_football_(in_game)')
    out = tmp_path / 'list.txt'
    k400.build_k400_list(str(csv_path), str(flat), str(out))
    assert out.read_text() == (
        'aaa_000014_000024.mp4 0\n'
        'bbb_000000_000010.webm 1\n'
        'passing_American_football_(in_game)/ccc_000005_000015.mp4 2\n')


def test_k400_label_map(k400_data, tmp_path):
    csv_path, videos = k400_data
    label_map = tmp_path / 'label_map.txt'
    label_map.write_text('zumba\npassing American football (in game)\n'
                         'yoga\nair drumming\nabseiling\n')
    out = tmp_path / 'list.txt'
    k400.build_k400_list(str(csv_path), str(videos), str(out),
                         str(label_map))
    assert [line.split()[1] for line in out.read_text().splitlines()] == \
        ['4', '3', '1']

    label_map.write_text('abseiling\nair drumming\n')
    with pytest.raises(k400.AnnotationError) as error:
        k400.build_k400_list(str(csv_path), str(videos), str(out),
                             str(label_map))
    assert str(csv_path) in str(error.value)
    assert str(label_map) in str(error.value)
    assert 'passing American football (in game)' in str(error.value)


def test_k400_sorts_like_mmaction2():
    # MMAction2 sorts with spaces replaced by underscores: '_' (0x5f)
    # sorts after 'B' (0x42), a space before it.
    assert k400.sorted_label_map(['a b', 'aB', 'a b']) == {'aB': 0, 'a_b': 1}


@pytest.mark.parametrize('content, message', [
    ('label,youtube_id,time_start\nabseiling,aaa,1\n', 'no column time_end'),
    ('label,youtube_id,time_start,time_end\nabseiling,aaa,x,2\n',
     ':2: time_start/time_end'),
    ('label,youtube_id,time_start,time_end\nabseiling,aaa\n',
     ':2: fewer fields'),
])
def test_k400_bad_csv(tmp_path, content, message):
    csv_path = tmp_path / 'bad.csv'
    csv_path.write_text(content)
    with pytest.raises(k400.AnnotationError, match=message) as error:
        k400.build_k400_list(str(csv_path), str(tmp_path), str(tmp_path / 'l'))
    assert str(csv_path) in str(error.value)


def test_k400_cli(k400_data, tmp_path):
    csv_path, videos = k400_data
    out = tmp_path / 'list.txt'
    proc = run_cli(K400_TOOL, csv_path, videos, out)
    assert proc.returncode == 0, proc.stderr
    assert '3 of 5 CSV rows listed' in proc.stdout
    assert '1 CSV rows have no video' in proc.stdout
    assert 'ddd_000030_000040' in proc.stdout
    assert '4 classes, not 400' in proc.stderr
    assert len(out.read_text().splitlines()) == 3

    empty = tmp_path / 'empty'
    empty.mkdir()
    proc = run_cli(K400_TOOL, csv_path, empty, out)
    assert proc.returncode == 1
    assert 'no video' in proc.stderr

    proc = run_cli(K400_TOOL, tmp_path / 'absent.csv', videos, out)
    assert proc.returncode == 1
    assert 'absent.csv: file not found' in proc.stderr


# ------------------------------------------------------------ pre-train ----

def write_video(path, num_frames):
    """An mp4v video of 96 x 128 frames that decord can count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'mp4v'), 12,
                             (128, 96))
    assert writer.isOpened()
    rng = np.random.default_rng(num_frames)
    for _ in range(num_frames):
        writer.write(rng.integers(0, 255, (96, 128, 3), dtype=np.uint8))
    writer.release()
    return path


@pytest.fixture
def pretrain_data(tmp_path):
    data = tmp_path / 'data'
    for rel in ['kinetics400/videos_train/abseiling/a.mp4',
                'kinetics400/videos_train/air_drumming/b.MP4',
                'kinetics400/videos_train/abseiling/notes.txt',
                'kinetics400/videos_train/.cache/c.mp4',
                'kinetics400/videos_train/._d.mp4',
                'sthv2/videos/1.webm', 'sthv2/videos/2.webm']:
        touch(data / rel)
    (data / 'sthv2/list.txt').write_text('1.webm 5\n2.webm 3\n3.webm 1\n')
    return data


def test_pretrain_merge_dedup(pretrain_data, tmp_path):
    data = pretrain_data
    out = tmp_path / 'out/pretrain_list.txt'
    info = pretrain.build_pretrain_list(
        str(out), dirs=[str(data / 'kinetics400/videos_train'),
                        str(data / 'sthv2/videos')],
        lists=[(str(data / 'sthv2/list.txt'), str(data / 'sthv2/videos'))])
    assert out.read_text() == (
        'kinetics400/videos_train/abseiling/a.mp4 0\n'
        'kinetics400/videos_train/air_drumming/b.MP4 0\n'
        'sthv2/videos/1.webm 0\n'
        'sthv2/videos/2.webm 0\n')
    assert info['root'] == str(data)
    assert info['num_videos'] == 4 and info['duplicates'] == 2
    assert info['missing'] == ['sthv2/videos/3.webm']
    assert info['short'] == info['unreadable'] == []


def test_pretrain_single_source_and_exts(pretrain_data, tmp_path):
    out = tmp_path / 'list.txt'
    info = pretrain.build_pretrain_list(
        str(out), lists=[(str(pretrain_data / 'sthv2/list.txt'),
                          str(pretrain_data / 'sthv2/videos'))])
    assert out.read_text() == '1.webm 0\n2.webm 0\n'
    assert info['root'] == str(pretrain_data / 'sthv2/videos')

    pretrain.build_pretrain_list(str(out), dirs=[str(pretrain_data)],
                                 exts=['webm'])
    assert out.read_text() == 'sthv2/videos/1.webm 0\nsthv2/videos/2.webm 0\n'


def test_pretrain_errors(pretrain_data, tmp_path):
    out = str(tmp_path / 'list.txt')
    sthv2 = str(pretrain_data / 'sthv2/videos')
    with pytest.raises(pretrain.SourceError, match='not under the root'):
        pretrain.build_pretrain_list(
            out, dirs=[sthv2], root=str(pretrain_data / 'kinetics400'))
    with pytest.raises(pretrain.SourceError, match='no source'):
        pretrain.build_pretrain_list(out)
    with pytest.raises(pretrain.SourceError, match='absent: not a dir'):
        pretrain.build_pretrain_list(out, dirs=[str(tmp_path / 'absent')])
    touch(pretrain_data / 'sthv2/videos/with space.webm')
    with pytest.raises(pretrain.SourceError, match='whitespace'):
        pretrain.build_pretrain_list(out, dirs=[sthv2])


def test_pretrain_dir_cuts_a_symlink_loop(tmp_path):
    videos = tmp_path / 'videos'
    touch(videos / 'a.mp4')
    touch(videos / 'sub/b.mp4')
    (videos / 'sub/loop').symlink_to(videos, target_is_directory=True)
    assert pretrain.scan_dir(str(videos)) == [
        str(videos / 'a.mp4'), str(videos / 'sub/b.mp4')]
    out = tmp_path / 'list.txt'
    proc = run_cli(PRETRAIN_TOOL, out, '--dir', videos)
    assert proc.returncode == 0, proc.stderr
    assert out.read_text() == 'a.mp4 0\nsub/b.mp4 0\n'
    assert 'more than once' not in proc.stdout


def test_pretrain_dir_lists_each_real_folder_once(tmp_path):
    videos, elsewhere = tmp_path / 'videos', tmp_path / 'elsewhere'
    touch(videos / 'a.mp4')
    touch(videos / 'sub/b.mp4')
    touch(elsewhere / 'c.mp4')
    # A loop outside the searched folder, reached through a link.
    (elsewhere / 'again').symlink_to(elsewhere, target_is_directory=True)
    # A folder of the tree linked in again: found by its own path.
    (videos / 'alias').symlink_to(videos / 'sub', target_is_directory=True)
    # A folder outside linked twice: listed under the first link.
    for name in ('linked', 'linked_too'):
        (videos / name).symlink_to(elsewhere, target_is_directory=True)
    out = tmp_path / 'list.txt'
    info = pretrain.build_pretrain_list(str(out), dirs=[str(videos)])
    assert out.read_text() == 'a.mp4 0\nlinked/c.mp4 0\nsub/b.mp4 0\n'
    assert info['duplicates'] == 0


def test_pretrain_bad_list_line(tmp_path):
    videos = tmp_path / 'videos'
    touch(videos / 'a.mp4')
    listing = tmp_path / 'train.txt'
    listing.write_text('a.mp4 3\n\nmy clip.mp4 4\n')
    with pytest.raises(pretrain.SourceError) as error:
        pretrain.build_pretrain_list(str(tmp_path / 'out.txt'),
                                     lists=[(str(listing), str(videos))])
    assert str(error.value).startswith(
        f"{listing}:3: a space in the file name 'my clip.mp4'")
    proc = run_cli(PRETRAIN_TOOL, tmp_path / 'out.txt', '--list', listing,
                   videos)
    assert proc.returncode == 1
    assert f'error: {listing}:3: a space in the file name' in proc.stderr
    listing.write_text('a.mp4\n')  # the label-less form is read too
    pretrain.build_pretrain_list(str(tmp_path / 'out.txt'),
                                 lists=[(str(listing), str(videos))])
    assert (tmp_path / 'out.txt').read_text() == 'a.mp4 0\n'


@pytest.fixture(scope='module')
def frame_videos(tmp_path_factory):
    videos = tmp_path_factory.mktemp('frames') / 'videos'
    write_video(videos / 'short.mp4', 8)
    write_video(videos / 'sub/long.mp4', 24)
    touch(videos / 'broken.mp4')
    return videos


@pytest.mark.parametrize('workers', [1, 2])
def test_pretrain_min_frames(frame_videos, tmp_path, workers):
    out = tmp_path / 'list.txt'
    info = pretrain.build_pretrain_list(str(out), dirs=[str(frame_videos)],
                                        min_frames=16, workers=workers)
    assert out.read_text() == 'sub/long.mp4 0\n'
    assert info['short'] == [('short.mp4', 8)]
    assert info['unreadable'] == ['broken.mp4']
    # The bound is inclusive, and without --min-frames nothing is opened.
    pretrain.build_pretrain_list(str(out), dirs=[str(frame_videos)],
                                 min_frames=8)
    assert out.read_text() == 'short.mp4 0\nsub/long.mp4 0\n'
    pretrain.build_pretrain_list(str(out), dirs=[str(frame_videos)])
    assert len(out.read_text().splitlines()) == 3


def test_pretrain_imports_decord_only_when_used(frame_videos, tmp_path):
    tool = str(PRETRAIN_TOOL)
    code = (
        'import importlib.util, sys\n'
        f'spec = importlib.util.spec_from_file_location("t", {tool!r})\n'
        'm = importlib.util.module_from_spec(spec)\n'
        'spec.loader.exec_module(m)\n'
        f'm.build_pretrain_list({str(tmp_path / "l.txt")!r}, '
        f'dirs=[{str(frame_videos)!r}])\n'
        'print("decord" in sys.modules)\n')
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True,
                          text=True, timeout=60)
    assert proc.stdout.strip() == 'False', proc.stderr


def test_pretrain_cli(pretrain_data, frame_videos, tmp_path):
    out = tmp_path / 'list.txt'
    proc = run_cli(PRETRAIN_TOOL, out,
                   '--dir', pretrain_data / 'kinetics400/videos_train',
                   '--list', pretrain_data / 'sthv2/list.txt',
                   pretrain_data / 'sthv2/videos')
    assert proc.returncode == 0, proc.stderr
    assert len(out.read_text().splitlines()) == 4
    assert 'dropped 1 list entries without a video file: ' \
        'sthv2/videos/3.webm' in proc.stdout
    assert f"video={str(pretrain_data)!r}" in proc.stdout
    # Run from the data's parent, the root is shown as a config needs it.
    proc = run_cli(PRETRAIN_TOOL, out, '--dir', 'data/sthv2/videos',
                   '--dir', 'data/kinetics400', cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "data_prefix=dict(video='data')" in proc.stdout

    proc = run_cli(PRETRAIN_TOOL, out, '--dir', frame_videos,
                   '--min-frames', '16')
    assert proc.returncode == 0, proc.stderr
    assert out.read_text() == 'sub/long.mp4 0\n'
    assert 'dropped 1 videos with fewer than 16 frames: short.mp4 (8)' \
        in proc.stdout
    assert 'dropped 1 videos decord cannot read: broken.mp4' in proc.stdout

    proc = run_cli(PRETRAIN_TOOL, out, '--dir', frame_videos,
                   '--exts', 'avi')
    assert proc.returncode == 1 and 'no video listed' in proc.stderr
    proc = run_cli(PRETRAIN_TOOL, out)
    assert proc.returncode == 1 and 'no source' in proc.stderr
