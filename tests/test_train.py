"""The training demo: the seed kernels learn two Iris species, and bad input is refused."""

from __future__ import annotations

import errno
import io
import sys
import types

import numpy as np
import pytest

from derive import output, train
from derive.errors import BadInputError, NotSupportedError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("seed", [0, 1, 2], ids=["seed 0", "seed 1", "seed 2"])
def test_demo_learns_and_beats_chance(tmp_path, seed):
    pytest.importorskip("matplotlib")
    picture = tmp_path / "demo.png"
    result = train.run_demo(picture, epochs=20, seed=seed, show_progress=False)

    losses = result["losses"]
    assert len(losses) == 21
    assert losses[-1] < 0.5 * losses[0]
    # Two balanced classes: chance is 0.5.
    assert result["held_out_accuracy"] >= 0.8
    assert result["held_out_samples"] == 30
    assert result["train_samples"] == 70
    assert picture.read_bytes().startswith(PNG_SIGNATURE)


def test_demo_is_reproducible(tmp_path):
    pytest.importorskip("matplotlib")
    first = train.run_demo(tmp_path / "a.png", epochs=3, seed=4, show_progress=False)
    second = train.run_demo(tmp_path / "b.png", epochs=3, seed=4, show_progress=False)
    assert first["losses"] == second["losses"]
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()


def test_train_accepts_a_kernels_module(seed_kernels):
    x, labels = train.load_iris()
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    progress = io.StringIO()
    params, losses = train.train(
        seed_kernels, x, labels, epochs=10, seed=0, progress=progress
    )
    assert set(params) == set(seed_kernels.PARAM_SHAPES)
    assert losses[-1] < losses[0]
    assert progress.getvalue().endswith("10/10 loss " + f"{losses[-1]:.4f}\n")
    assert "[" + "#" * train.BAR_WIDTH + "]" in progress.getvalue()


def test_load_iris_reads_two_balanced_classes():
    x, labels = train.load_iris()
    assert x.shape == (100, 2)
    assert np.bincount(labels).tolist() == [50, 50]
    # The first versicolor row of Fisher's table: petal 4.7 cm by 1.4 cm.
    assert x[0].tolist() == [4.7, 1.4]


def test_split_holds_out_each_class_in_proportion():
    labels = np.repeat([0, 1], 50)
    rows, held_out = train.split_held_out(labels, 0.3, np.random.default_rng(0))
    assert np.bincount(labels[held_out]).tolist() == [15, 15]
    assert sorted([*rows, *held_out]) == list(range(100))


def fake_kernels(inputs: int, outputs: int) -> types.ModuleType:
    module = types.ModuleType("fake_kernels")
    module.INPUTS, module.OUTPUTS = inputs, outputs
    return module


@pytest.mark.parametrize(
    ("source", "message"),
    [
        pytest.param("../seed", r"^spec name '\.\./seed' is not a safe", id="path"),
        pytest.param("no-such-spec", r"^.*no generated kernels for", id="missing"),
        pytest.param(fake_kernels(2, 1), r"^kernels 'fake_kernels' take 2", id="xor"),
        pytest.param(fake_kernels(784, 10), r"^kernels .* the Iris demo", id="mnist"),
    ],
)
def test_load_kernels_refuses(source, message):
    with pytest.raises(BadInputError, match=message):
        train.load_kernels(source)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        pytest.param({"epochs": 0}, r"^epochs must be", id="no epochs"),
        pytest.param({"batch_size": 0}, r"^batch_size must be", id="empty batch"),
        pytest.param({"learning_rate": -1.0}, r"^learning_rate must", id="rate < 0"),
    ],
)
def test_train_refuses_bad_settings(seed_kernels, settings, message):
    x, labels = train.load_iris()
    with pytest.raises(BadInputError, match=message):
        train.train(seed_kernels, x, labels, **settings)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("a,b\n1,2\n", r"^.*expected a CSV header", id="header"),
        pytest.param(
            "petal_length_cm,petal_width_cm,species\nx,1.0,virginica\n",
            r"^.*:2: a feature is not a number",
            id="number",
        ),
        pytest.param(
            "petal_length_cm,petal_width_cm,species\n1.0,1.0,virginica\n",
            r"^.*needs rows of each of versicolor, virginica",
            id="one class",
        ),
    ],
)
def test_load_iris_refuses_bad_files(tmp_path, text, message):
    path = tmp_path / "iris.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BadInputError, match=message):
        train.load_iris(path)


def test_demo_without_matplotlib_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(NotSupportedError, match=r"^the training demo's picture needs"):
        train.run_demo(tmp_path / "demo.png", epochs=1, seed=0, show_progress=False)
    assert not (tmp_path / "demo.png").exists()


def test_demo_names_a_plot_path_too_long_for_the_system(tmp_path):
    picture = tmp_path / ("a" * 300 + ".png")
    with pytest.raises(
        BadInputError, match=r"^.*a\.png: cannot write \(File name too long\)$"
    ):
        train.run_demo(picture, epochs=1, seed=0, show_progress=False)


def test_load_iris_names_a_missing_file(tmp_path):
    with pytest.raises(BadInputError, match=r"^.*nothing\.csv: Iris data file not"):
        train.load_iris(tmp_path / "nothing.csv")


def test_a_plot_that_cannot_be_written_leaves_the_old_one_whole(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    picture = tmp_path / "demo.png"
    picture.write_bytes(b"the old picture")

    def disk_full(path, content):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(output, "stage", disk_full)
    with pytest.raises(BadInputError, match="No space left on device"):
        train.run_demo(picture, epochs=1, seed=0, show_progress=False)
    assert picture.read_bytes() == b"the old picture"
    assert [p.name for p in tmp_path.iterdir()] == ["demo.png"]
