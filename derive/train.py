"""Training demo: the seed network's generated kernels learn two species of Iris.

Input: data/iris.csv, versicolor against virginica by petal length and width. Output:
plain mini-batch gradient descent, the held-out accuracy, and a picture of the loss
curve and the decision regions (demo.png; `make demo` writes docs/demo.png).
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import logging
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np

from derive.demo_plot import require_matplotlib, save_plot
from derive.errors import BadInputError, DeriveError
from derive.output import emit
from derive.spec import NAME_PATTERN

logger = logging.getLogger(__name__)

# The data ships inside the package; kernels come from a checkout's generated/ when there.
IRIS_PATH = Path(__file__).resolve().parent / "data" / "iris.csv"
GENERATED_DIR = Path(__file__).resolve().parent.parent / "generated"
CLASSES = ("versicolor", "virginica")
FEATURES = ("petal_length_cm", "petal_width_cm")
HELD_OUT_FRACTION = 0.3
BATCH_SIZE = 10
LEARNING_RATE = 0.1
DEFAULT_EPOCHS = 100
MAX_EPOCHS = 100_000
DEFAULT_SEED = 0
DEFAULT_OUTPUT = "demo.png"
BAR_WIDTH = 30


@dataclass(frozen=True)
class IrisSplit:
    """Samples in centimetres, class indices, and the train / held-out rows."""

    x: np.ndarray
    labels: np.ndarray
    train_rows: np.ndarray
    held_out_rows: np.ndarray
    class_names: tuple[str, ...] = CLASSES

    @property
    def mean(self) -> np.ndarray:
        return self.x[self.train_rows].mean(axis=0)

    @property
    def scale(self) -> np.ndarray:
        return self.x[self.train_rows].std(axis=0)

    def standardize(self, x: np.ndarray) -> np.ndarray:
        # Statistics of the training rows only, so nothing leaks from the held-out rows.
        return (x - self.mean) / self.scale


def load_kernels(spec_name_or_module: str | types.ModuleType) -> types.ModuleType:
    """Kernels for a spec name (generated/<name>/kernels.py) or an imported module."""
    if isinstance(spec_name_or_module, types.ModuleType):
        kernels = spec_name_or_module
    else:
        kernels = import_kernels(spec_name_or_module)
    inputs = getattr(kernels, "INPUTS", None)
    outputs = getattr(kernels, "OUTPUTS", None)
    if (inputs, outputs) != (len(FEATURES), len(CLASSES)):
        raise BadInputError(
            f"kernels {kernels.__name__!r} take {inputs} inputs and give {outputs} "
            f"outputs; the Iris demo needs {len(FEATURES)} and {len(CLASSES)}"
        )
    return kernels


def import_kernels(name: str) -> types.ModuleType:
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise BadInputError(
            f"spec name {name!r} is not a safe identifier; use a name like 'seed'"
        )
    path = GENERATED_DIR / name / "kernels.py"
    if not path.is_file():
        if name == "seed":
            return generate_seed_kernels()
        raise BadInputError(
            f"{path}: no generated kernels for {name!r}; run 'derive all --spec' first"
        )
    module_spec = importlib.util.spec_from_file_location(f"kernels_{name}", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    logger.debug("imported kernels from %s", path)
    return module


def generate_seed_kernels() -> types.ModuleType:
    """The seed network's kernels, derived and rendered in memory."""
    from derive.derivation import derive
    from derive.kernels import kernels_source
    from derive.spec import seed_spec

    source = kernels_source(derive(seed_spec()), "derive all")
    module = types.ModuleType("kernels_seed")
    exec(compile(source, "<seed kernels>", "exec"), module.__dict__)
    return module


def load_iris(path: str | Path = IRIS_PATH) -> tuple[np.ndarray, np.ndarray]:
    """The rows of CLASSES: FEATURES in centimetres, and the index of each class."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except FileNotFoundError:
        raise BadInputError(f"{path}: Iris data file not found") from None
    missing = [key for key in (*FEATURES, "species") if rows and key not in rows[0]]
    if not rows or missing:
        raise BadInputError(
            f"{path}: expected a CSV header with {', '.join(FEATURES)} and species"
        )

    x, labels = [], []
    for line, row in enumerate(rows, start=2):
        if row["species"] not in CLASSES:
            continue
        try:
            x.append([float(row[feature]) for feature in FEATURES])
        except (TypeError, ValueError):
            raise BadInputError(f"{path}:{line}: a feature is not a number") from None
        labels.append(CLASSES.index(row["species"]))
    if sorted(set(labels)) != list(range(len(CLASSES))):
        raise BadInputError(f"{path}: needs rows of each of {', '.join(CLASSES)}")
    return np.array(x), np.array(labels)


def split_held_out(
    labels: np.ndarray, fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Train and held-out row indices, each class split in the same proportion."""
    train_rows, held_out_rows = [], []
    for label in np.unique(labels):
        rows = rng.permutation(np.flatnonzero(labels == label))
        count = round(fraction * len(rows))
        held_out_rows.extend(rows[:count])
        train_rows.extend(rows[count:])
    return np.sort(train_rows), np.sort(held_out_rows)


def train(
    spec_name_or_kernels_module: str | types.ModuleType,
    x: np.ndarray,
    labels: np.ndarray,
    *,
    epochs: int = DEFAULT_EPOCHS,
    seed: int = DEFAULT_SEED,
    batch_size: int = BATCH_SIZE,
    learning_rate: float = LEARNING_RATE,
    progress: TextIO | None = None,
) -> tuple[dict[str, np.ndarray], list[float]]:
    """Plain mini-batch gradient descent; the parameters and the loss before each epoch."""
    kernels = load_kernels(spec_name_or_kernels_module)
    check_settings(epochs, batch_size, learning_rate)
    rng = np.random.default_rng(seed)
    params = kernels.init_params(rng)
    losses = [kernels.loss(params, x, labels)]

    for epoch in range(1, epochs + 1):
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch_size):
            batch = order[start : start + batch_size]
            _, grads = kernels.loss_and_grads(params, x[batch], labels[batch])
            for name, gradient in grads.items():
                params[name] -= learning_rate * gradient
        losses.append(kernels.loss(params, x, labels))
        if progress is not None:
            draw_progress(progress, epoch, epochs, losses[-1])
    return params, losses


def check_output(path: Path) -> None:
    """Fail before training, not after, on a plot path that cannot be written."""
    if path.suffix.lower() != ".png":
        raise BadInputError(
            f"{path}: the plot is a PNG file; use a name ending in .png"
        )
    try:
        is_folder = path.is_dir()
    except OSError as error:  # a name too long for the system, say
        raise BadInputError(f"{path}: cannot write ({error.strerror})") from None
    if is_folder:
        raise BadInputError(f"{path}: is a folder; name a .png file")
    require_matplotlib()


def check_settings(epochs: int, batch_size: int, learning_rate: float) -> None:
    if isinstance(epochs, int) and epochs > MAX_EPOCHS:
        raise BadInputError(f"epochs must be at most {MAX_EPOCHS}, got {epochs}")
    for name, value in (("epochs", epochs), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise BadInputError(
                f"{name} must be a whole number of 1 or more, got {value!r}"
            )
    if not (isinstance(learning_rate, int | float) and 0 < learning_rate < 10):
        raise BadInputError(
            f"learning_rate must lie between 0 and 10, got {learning_rate!r}"
        )


def draw_progress(stream: TextIO, epoch: int, epochs: int, loss: float) -> None:
    """Redraw one line, [#####.....] epoch/epochs and the loss, when the bar grows."""
    filled = BAR_WIDTH * epoch // epochs
    if 1 < epoch < epochs and filled == BAR_WIDTH * (epoch - 1) // epochs:
        return
    bar = "#" * filled + "." * (BAR_WIDTH - filled)
    width = len(str(epochs))
    stream.write(f"\rtraining [{bar}] {epoch:>{width}}/{epochs} loss {loss:.4f}")
    if epoch == epochs:
        stream.write("\n")
    stream.flush()


def accuracy(kernels: types.ModuleType, params: dict, x: np.ndarray, labels) -> float:
    outputs, _ = kernels.forward(params, x)
    return float((outputs.argmax(axis=1) == labels).mean())


def run_demo(
    output_png: str | Path = DEFAULT_OUTPUT,
    epochs: int = DEFAULT_EPOCHS,
    seed: int = DEFAULT_SEED,
    *,
    show_progress: bool = True,
    data_path: str | Path = IRIS_PATH,
) -> dict:
    """Train the seed kernels on Iris, save the picture, return losses and accuracies."""
    check_output(Path(output_png))
    check_settings(epochs, BATCH_SIZE, LEARNING_RATE)
    x, labels = load_iris(data_path)
    split = IrisSplit(x, labels, *split_held_out(labels, HELD_OUT_FRACTION, rng(seed)))
    kernels = load_kernels("seed")
    train_x = split.standardize(x[split.train_rows])
    # A bar redrawn with carriage returns only makes sense on a terminal.
    progress = sys.stderr if show_progress and sys.stderr.isatty() else None
    params, losses = train(
        kernels,
        train_x,
        labels[split.train_rows],
        epochs=epochs,
        seed=seed,
        progress=progress,
    )

    held_out_x = split.standardize(x[split.held_out_rows])
    result = {
        "losses": losses,
        "train_accuracy": accuracy(kernels, params, train_x, labels[split.train_rows]),
        "held_out_accuracy": accuracy(
            kernels, params, held_out_x, labels[split.held_out_rows]
        ),
        "epochs": epochs,
        "seed": seed,
        "train_samples": len(split.train_rows),
        "held_out_samples": len(split.held_out_rows),
        "output_png": str(output_png),
    }
    save_plot(Path(output_png), kernels, params, split, result)
    return result


def rng(seed: int) -> np.random.Generator:
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise BadInputError(f"seed must be a whole number of 0 or more, got {seed!r}")
    return np.random.default_rng(seed)


def main(argv: list[str] | None = None) -> int:
    """``python -m derive.train [--output PNG] [--epochs N] [--seed N]``."""
    parser = argparse.ArgumentParser(
        prog="python -m derive.train",
        description="Train the seed network's generated kernels on two Iris species.",
    )
    parser.add_argument("--output", default=DEFAULT_OUTPUT, help="picture to write")
    parser.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    try:
        result = run_demo(arguments.output, arguments.epochs, arguments.seed)
        losses = result["losses"]
        emit(
            f"loss {losses[0]:.3f} -> {losses[-1]:.3f} in {result['epochs']} epochs; "
            f"held-out accuracy {result['held_out_accuracy']:.3f} "
            f"on {result['held_out_samples']} samples"
        )
    except DeriveError as error:
        print(f"derive train: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
