# make generate | test | check | pdf | bench | demo; the virtual environment is made on demand.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
EXAMPLES := examples/xor.toml examples/tanh-regressor.toml examples/mnist-mlp.toml
# Networks small enough for the numba backend's unrolled kernels.
SMALL_EXAMPLES := examples/xor.toml examples/tanh-regressor.toml
CHECK_DIR := build/check

.PHONY: generate test check pdf lint clean demo

$(BIN)/derive: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,numba]'
	touch $@

generate: $(BIN)/derive
	$(BIN)/derive all --out generated
	$(BIN)/derive kernels --backend numba --out generated
	for spec in $(EXAMPLES); do $(BIN)/derive all --spec $$spec --out generated || exit 1; done
	for spec in $(SMALL_EXAMPLES); do \
		$(BIN)/derive kernels --backend numba --spec $$spec --out generated || exit 1; done

test: $(BIN)/derive
	$(BIN)/python -m pytest -q

# Regenerate into a scratch folder and compare: committed output must never be stale.
check: $(BIN)/derive
	rm -rf $(CHECK_DIR)
	$(BIN)/derive all --out $(CHECK_DIR)
	$(BIN)/derive kernels --backend numba --out $(CHECK_DIR)
	for spec in $(EXAMPLES); do $(BIN)/derive all --spec $$spec --out $(CHECK_DIR) || exit 1; done
	for spec in $(SMALL_EXAMPLES); do \
		$(BIN)/derive kernels --backend numba --spec $$spec --out $(CHECK_DIR) || exit 1; done
	diff -r -x '*.pdf' -x '*.aux' -x '*.log' -x '*.fls' -x '*.fdb_latexmk' generated $(CHECK_DIR) \
		|| (echo "generated/ is stale: run 'make generate' and commit it"; exit 1)
	rm -rf $(CHECK_DIR)

pdf: $(BIN)/derive
	@if command -v latexmk >/dev/null; then \
		for tex in generated/*/derivation.tex; do \
			(cd $$(dirname $$tex) && latexmk -pdf -interaction=nonstopmode -halt-on-error -quiet derivation.tex) || exit 1; \
		done; \
	else \
		echo "make pdf needs latexmk and TeX: apt-get install latexmk texlive-latex-base texlive-latex-recommended texlive-pictures"; \
	fi

lint: $(BIN)/derive
	$(BIN)/ruff check derive tests generated bench
	$(BIN)/ruff format --check derive tests generated bench

clean:
	rm -rf $(VENV) build

# Train the seed network's generated kernels on two Iris species; writes docs/demo.png.
demo: $(BIN)/derive
	$(BIN)/python -m derive.train --output docs/demo.png

# Time the generated kernels against hand-written NumPy, PyTorch, JAX and naive SymPy;
# writes docs/benchmark.md and docs/benchmark.png. BENCH_FLAGS=--quick for a short run.
.PHONY: bench
bench: $(BIN)/derive
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python -m pip install --quiet -e '.[bench-peers]' \
		|| echo "bench: PyTorch or JAX could not be installed; timing without them"
	$(BIN)/python -m bench $(BENCH_FLAGS)
