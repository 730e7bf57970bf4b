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
