from setuptools import find_packages, setup

setup(
    name='mme_mmaction',
    version='0.1.0',
    description='Motion-aware masked video pre-training (Masked Motion '
    'Encoding) as an MMAction2 plugin',
    long_description=open('README.md', encoding='utf-8').read()
    if __import__('os').path.exists('README.md') else '',
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    python_requires='>=3.8',
    packages=find_packages(include=['mme_mmaction', 'mme_mmaction.*']),
    # What OpenMMLab's mim looks for: configs, tools and model-index.yml
    # under mme_mmaction/.mim, which links to them in the source tree;
    # builds copy them.
    package_data={
        'mme_mmaction': [
            '.mim/model-index.yml', '.mim/configs/**/*', '.mim/tools/**/*'
        ]
    },
    install_requires=[
        'torch>=2.0',
        'torchvision',
        'numpy>=1.23,<2',
        'opencv-python>=4.5,<4.12',
        'opencv-contrib-python>=4.5,<4.12',
        'setuptools<81',
        'mmengine>=0.10,<0.11',
        'mmcv-lite>=2.0,<2.2',
        'mmaction2>=1.2,<1.3',
        'importlib-metadata',
        'decord>=0.6',
        'einops',
        'matplotlib',
        'pillow',
        'tqdm',
    ],
    extras_require={'tests': ['pytest', 'openmim']},
)
