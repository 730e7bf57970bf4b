"""seeded_samples draws the same clips on every call, from the videos."""
from pathlib import Path

from mmengine.config import Config
from synthetic_video import camera_pan, write_video

from mme_mmaction.analysis import seeded_samples


def _config(root: Path, repeat: int) -> Config:
    videos = [write_video(root / f'v{i}.mp4', camera_pan(8, pan=(i + 1, -1)))
              for i in range(3)]
    (root / 'list.txt').write_text(''.join(f'{v.name} 0\n' for v in videos))
    dataset = dict(
        type='VideoDataset',
        ann_file=str(root / 'list.txt'),
        data_prefix=dict(video=str(root)),
        pipeline=[
            dict(type='CheckedDecordInit'),
            dict(type='SampleFrames', clip_len=2, frame_interval=1,
                 num_clips=1, out_of_bound_opt='repeat_last'),
            dict(type='CheckedDecordDecode'),
            dict(type='RandomCrop', size=16),
            dict(type='FormatShape', input_format='NCTHW'),
            dict(type='PackActionInputs', meta_keys=('filename', ))
        ])
    if repeat > 1:
        dataset = dict(type='RepeatDataset', times=repeat, dataset=dataset)
    return Config(dict(train_dataloader=dict(dataset=dataset)))


def _draw(cfg: Config, num: int, seed: int):
    return [(s['data_samples'].filename, s['inputs'].sum().item())
            for s in seeded_samples(cfg, num, seed)]


def test_the_same_clips_on_every_call(tmp_path):
    cfg = _config(tmp_path, 1)
    assert _draw(cfg, 3, 1) == _draw(cfg, 3, 1)
    assert _draw(cfg, 3, 1) != _draw(cfg, 3, 2)


def test_a_repeat_wrapper_is_looked_through(tmp_path):
    # Three videos repeated 50 times: drawing three clips without
    # replacement among 150 indices would likely repeat a video; looking
    # through the wrapper draws each video once, as without it.
    plain = _draw(_config(tmp_path, 1), 3, 0)
    wrapped = _draw(_config(tmp_path, 50), 3, 0)
    assert wrapped == plain
    assert len({name for name, _ in wrapped}) == 3
