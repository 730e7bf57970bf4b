"""Optical flow on frames too small for it: a clear error, never a crash."""
import faulthandler
import os

import cv2
import numpy as np
import pytest

from mme_mmaction.datasets.transforms.trajectory_sources.lucas_kanade import \
    COARSE_FLOW
from mme_mmaction.motion import (DEFAULT_FLOW, OpticalFlow,
                                 native_grid_trajectories)
from mme_mmaction.motion.flow import FrameSizeError
from synthetic_video import texture

OUTCOMES = ('ok', 'refused', 'cv2.error', 'other error')


def outcome(compute) -> str:
    """How ``compute()`` ends in a forked child: one of ``OUTCOMES``, or
    'crash' when a signal kills it."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 3
        try:
            faulthandler.disable()  # no dump into pytest's output
            compute()
            code = 0
        except FrameSizeError:
            code = 1
        except cv2.error:
            code = 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return 'crash'
    return OUTCOMES[os.WEXITSTATUS(status)]


def opencv_dis(preset, **setters):
    """OpenCV's DIS as our options set it up, unguarded."""
    dis = cv2.DISOpticalFlow_create(preset)
    for setter, value in setters.items():
        getattr(dis, setter)(value)
    return dis


FLOWS = {
    'default': (DEFAULT_FLOW, lambda: opencv_dis(
        cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST, setFinestScale=1,
        setVariationalRefinementIterations=2)),
    'lucas_kanade guess': (COARSE_FLOW, lambda: opencv_dis(
        cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST, setPatchStride=3)),
}
SIZES = [(h, w) for w in (16, 64, 400) for h in (4, 8, 12, 16, 24, 32)]
SIZES += [(w, h) for h, w in SIZES if h != w]


def pair(height, width):
    frame = texture(height, width, seed=0)[..., 0]
    return frame, np.roll(frame, 1, axis=1)


@pytest.mark.parametrize('name', list(FLOWS))
def test_dis_refuses_every_frame_size_opencv_fails_or_crashes_on(name):
    """OpenCV raises on some small frames and, on short and wide ones
    (e.g. 8 x 64 or 24 x 400), reads outside its pyramid and segfaults."""
    options, make_opencv = FLOWS[name]
    ours, theirs = {}, {}
    for size in SIZES:
        prev, nxt = pair(*size)
        ours[size] = outcome(lambda: OpticalFlow(**options)(prev, nxt))
        theirs[size] = outcome(
            lambda: make_opencv().calc(prev, nxt, None))
    assert 'crash' in theirs.values() and 'cv2.error' in theirs.values()
    assert set(ours.values()) == {'ok', 'refused'}, ours
    assert all(ours[size] == 'refused' for size, result in theirs.items()
               if result != 'ok')
    assert all(ours[size] == 'ok' for size in SIZES if min(size) >= 32)


def test_too_small_frames_name_their_size_and_the_settings():
    with pytest.raises(FrameSizeError, match=(
            r'frames of 8x400 px \(H x W\) are too small for DIS optical flow '
            r'\(patch_size=8, finest_scale=1\)')):
        OpticalFlow(**DEFAULT_FLOW)(*pair(8, 400))
    with pytest.raises(FrameSizeError, match='under the patch'):
        OpticalFlow(**DEFAULT_FLOW)(*pair(4, 64))
    # Farneback and TV-L1 compute on any size.
    assert OpticalFlow('farneback')(*pair(4, 64)).shape == (4, 64, 2)


def test_the_extractors_tracking_refuses_too_small_frames():
    """``tools/data/extract_trajectories.py`` tracks with
    ``native_grid_trajectories``; its worker must not die."""
    frames = np.stack([np.roll(texture(24, 400, 0)[..., 0], i, axis=1)
                       for i in range(6)])
    assert outcome(lambda: native_grid_trajectories(
        frames, OpticalFlow(**COARSE_FLOW), traj_len=4)) == 'refused'


def test_a_small_frame_leaves_the_flow_of_later_frames_unchanged():
    """OpenCV's DIS answers a frame too small for its finest_scale by
    lowering finest_scale for good; each call gets the options given."""
    big = pair(128, 128)
    flow = OpticalFlow(**COARSE_FLOW)
    before = flow(*big)
    flow(*pair(64, 64))
    np.testing.assert_array_equal(flow(*big), before)
