# `make toy`: pre-train MME on the generated toy dataset (CPU, minutes).
# `make test`: the test suite. Both create .venv on first use.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
DEPS := $(VENV)/.dependencies
STAMP := $(VENV)/.installed
TOY_DATA := data/toy
TOY_TRAJ := $(TOY_DATA)/trajectories
TOY_CONFIG := configs/mme/vit-tiny_toy_offline.py
TOY_WORK_DIR := work_dirs/vit-tiny_toy
# Extra training settings, e.g. a longer run:
# make toy TOY_OPTIONS=train_dataloader.dataset.times=27
TOY_OPTIONS ?=
# The package is installed as a release is (configs, tools and
# model-index.yml under mme_mmaction/.mim, where OpenMMLab's mim looks),
# again whenever a file it ships changes.
SHIPPED := setup.py model-index.yml $(shell find mme_mmaction configs tools \
	-type f -not -path '*/__pycache__/*')

.PHONY: toy test install

install: $(STAMP)

$(DEPS): requirements/runtime.txt requirements/tests.txt requirements/mam2.txt requirements/constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements/runtime.txt -r requirements/tests.txt -c requirements/constraints.txt
	$(PY) -m pip install -q --no-deps -r requirements/mam2.txt -c requirements/constraints.txt
	touch $(DEPS)

$(STAMP): $(DEPS) $(SHIPPED)
	$(PY) -m pip install -q --no-deps --no-build-isolation --force-reinstall .
	touch $(STAMP)

$(TOY_DATA)/train_list.txt: tools/data/make_toy_dataset.py | $(STAMP)
	$(PY) tools/data/make_toy_dataset.py $(TOY_DATA)

# A stamp, not the manifest: the manifest is written before the videos.
$(TOY_TRAJ)/.done: $(TOY_DATA)/train_list.txt | $(STAMP)
	$(PY) tools/data/extract_trajectories.py $(TOY_DATA)/train_list.txt $(TOY_TRAJ)
	touch $@

# Each `make toy` is a fresh run over the last one (--overwrite).
toy: $(STAMP) $(TOY_TRAJ)/.done
	$(PY) tools/train.py $(TOY_CONFIG) --work-dir $(TOY_WORK_DIR) --seed 0 \
		--overwrite \
		$(if $(TOY_OPTIONS),--cfg-options $(TOY_OPTIONS))
	$(PY) tools/analysis/trajectory_loss_baselines.py $(TOY_CONFIG) \
		--num-samples 64 --work-dir $(TOY_WORK_DIR)

test: $(STAMP)
	$(PY) -m pytest tests
