"""The README's "Fine-tune with stock MMAction2" snippet runs as written,
in an interpreter that imports nothing of ours but what it asks for."""
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from mmengine.logging import MessageHub

from mme_mmaction.models import MaskedMotionEncoder

ROOT = Path(__file__).resolve().parents[1]

_BUILD = textwrap.dedent("""
    import sys
    import torch
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    cfg = Config.fromfile(sys.argv[1])
    init_default_scope('mmaction')
    from mmaction.registry import MODELS
    model = MODELS.build(cfg.model)
    model.init_weights()
    saved = torch.load(sys.argv[2], weights_only=True)['state_dict']
    for key, value in model.state_dict().items():
        if key.startswith('backbone.blocks.'):
            assert torch.equal(value, saved[key]), key
    print('LOADED', sum(k.startswith('backbone.blocks.')
                        for k in model.state_dict()))
""")


def readme_snippet() -> str:
    readme = (ROOT / 'README.md').read_text()
    section = readme.split('## Fine-tune with stock MMAction2', 1)[1]
    return re.search(r'```python\n(.*?)```', section, re.S).group(1)


@pytest.fixture(scope='module')
def vit_b_checkpoint(tmp_path_factory):
    """What an MME ViT-B pre-training run saves, as far as loading goes."""
    encoder = MaskedMotionEncoder(arch='base', img_size=224, num_frames=16)
    hub = MessageHub.get_instance('readme_snippet')
    hub.update_scalar('train/loss', 1.5)
    path = tmp_path_factory.mktemp('ckpt') / 'epoch_400.pth'
    torch.save(dict(meta=dict(epoch=400),
                    state_dict={f'backbone.{k}': v
                                for k, v in encoder.state_dict().items()},
                    message_hub=hub.state_dict()), path)
    return path


def run_snippet(snippet, checkpoint, tmp_path):
    config = tmp_path / 'finetune.py'
    config.write_text(snippet.replace('work_dirs/.../epoch_400.pth',
                                      str(checkpoint)))
    return subprocess.run([sys.executable, '-c', _BUILD, str(config),
                           str(checkpoint)], capture_output=True, text=True,
                          timeout=300)


def test_the_fine_tuning_snippet_loads_the_pre_trained_encoder(
        vit_b_checkpoint, tmp_path):
    snippet = readme_snippet()
    assert 'work_dirs/.../epoch_400.pth' in snippet
    result = run_snippet(snippet, vit_b_checkpoint, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'LOADED 156' in result.stdout  # 12 blocks x 13 tensors


def test_without_custom_imports_the_snippet_fails(vit_b_checkpoint,
                                                  tmp_path):
    """Why the snippet keeps its first line."""
    snippet = '\n'.join(line for line in readme_snippet().splitlines()
                        if not line.startswith('custom_imports'))
    result = run_snippet(snippet, vit_b_checkpoint, tmp_path)
    assert result.returncode != 0
