"""Edit a base config's pipeline by step type, never by position.

A derived config that takes ``_base_.train_pipeline[3:6]`` breaks silently
when the base gains a step. These find the one step of a type and return a
new list, so a base can change around the steps a derived config edits.
Configs import them after their ``_base_`` line (mmengine reads a config
whose first statement is an import as a pure-Python config)::

    _base_ = ['./kinetics400_mme_pretrain.py']
    from mme_mmaction.datasets.pipeline_steps import update_step  # noqa

    train_pipeline = update_step(_base_.train_pipeline, 'TubeMaskGenerator',
                                 mask_ratio=0.9)
"""
from typing import List, Sequence

Pipeline = Sequence[dict]


def find_step(pipeline: Pipeline, step_type: str) -> int:
    """Index of the one step of ``step_type``.

    Raises:
        ValueError: If the pipeline has no such step or several, naming the
            types it has.
    """
    found = [i for i, step in enumerate(pipeline)
             if step['type'] == step_type]
    if len(found) != 1:
        raise ValueError(
            f'The pipeline has {len(found)} {step_type} steps, not one: '
            f'{[step["type"] for step in pipeline]}.')
    return found[0]


def replace_step(pipeline: Pipeline, step_type: str,
                 new_step: dict) -> List[dict]:
    """The pipeline with its ``step_type`` step replaced by ``new_step``."""
    index = find_step(pipeline, step_type)
    return [*pipeline[:index], new_step, *pipeline[index + 1:]]


def update_step(pipeline: Pipeline, step_type: str,
                **changes) -> List[dict]:
    """The pipeline with ``changes`` set on its ``step_type`` step."""
    step = pipeline[find_step(pipeline, step_type)]
    return replace_step(pipeline, step_type, dict(step, **changes))


def remove_step(pipeline: Pipeline, step_type: str) -> List[dict]:
    """The pipeline without its ``step_type`` step."""
    index = find_step(pipeline, step_type)
    return [*pipeline[:index], *pipeline[index + 1:]]


def insert_before(pipeline: Pipeline, step_type: str,
                  new_step: dict) -> List[dict]:
    """The pipeline with ``new_step`` just before its ``step_type`` step."""
    index = find_step(pipeline, step_type)
    return [*pipeline[:index], new_step, *pipeline[index:]]


def without_trajectories(pipeline: Pipeline) -> List[dict]:
    """An MME pre-training pipeline for the targets that need no
    trajectories: the sampled frames decoded alone, no ``TrajectoryTarget``.
    """
    decode = pipeline[find_step(pipeline, 'DecordDecodeWithTrajectoryFrames')]
    checked = dict(type='CheckedDecordDecode')
    if 'on_bad_input' in decode:
        checked['on_bad_input'] = decode['on_bad_input']
    return remove_step(
        replace_step(pipeline, 'DecordDecodeWithTrajectoryFrames', checked),
        'TrajectoryTarget')


#: The steps that draw a pre-training mask.
MASK_STEPS = ('TubeMaskGenerator', 'SliceRandomMaskGenerator',
              'MotionGuidedMaskGenerator')


def find_mask_step(pipeline: Pipeline) -> int:
    """Index of the pipeline's one mask step (any of :data:`MASK_STEPS`).

    Raises:
        ValueError: If it has none or several, naming the types it has.
    """
    found = [i for i, step in enumerate(pipeline)
             if step['type'] in MASK_STEPS]
    if len(found) != 1:
        raise ValueError(
            f'The pipeline has {len(found)} of the mask steps {MASK_STEPS}, '
            f'not one: {[step["type"] for step in pipeline]}.')
    return found[0]


# Trajectories for a mask alone: one track per patch over one raw step,
# carried to the next slice at constant velocity, by the cheapest source
# (docs/masking.md).
MASK_ONLY_TRAJECTORIES = dict(
    type='TrajectoryTarget', source=dict(type='lucas_kanade'))


def with_motion_guided_mask(pipeline: Pipeline, mode: str = 'warp',
                            **options) -> List[dict]:
    """The pipeline with its mask step replaced by a
    ``MotionGuidedMaskGenerator`` of ``mode`` with the same ratio and sizes.

    A pipeline that tracks nothing (:func:`without_trajectories`) gets
    trajectories back for the mask alone: the decode step reads one raw
    step per tubelet, and a ``TrajectoryTarget`` with one cell per patch
    runs just before the mask.

    Args:
        pipeline (Sequence[dict]): A pre-training pipeline.
        mode (str): ``'warp'`` or ``'motion'``.
        **options: Further ``MotionGuidedMaskGenerator`` arguments.
    """
    index = find_mask_step(pipeline)
    mask = dict(pipeline[index], type='MotionGuidedMaskGenerator', mode=mode,
                **options)
    pipeline = [*pipeline[:index], mask, *pipeline[index + 1:]]
    if 'TrajectoryTarget' in [step['type'] for step in pipeline]:
        return pipeline
    checked = pipeline[find_step(pipeline, 'CheckedDecordDecode')]
    decode = dict(type='DecordDecodeWithTrajectoryFrames', traj_len=1,
                  tubelet_size=mask.get('tubelet_size', 2))
    if 'on_bad_input' in checked:
        decode['on_bad_input'] = checked['on_bad_input']
    track = dict(MASK_ONLY_TRAJECTORIES,
                 cell_size=mask.get('patch_size', 16))
    return insert_before(
        replace_step(pipeline, 'CheckedDecordDecode', decode),
        'MotionGuidedMaskGenerator', track)
