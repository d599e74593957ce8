"""The training demo's picture: the loss curve and the decision regions, as a PNG.

Drawn with matplotlib's Agg backend and no pyplot state; the file carries no version
metadata, so a rerun with the same matplotlib gives the same bytes.
"""

from __future__ import annotations

import io
import types
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from derive.errors import NotSupportedError
from derive.output import write_files

if TYPE_CHECKING:
    from derive.train import IrisSplit


def require_matplotlib() -> None:
    """Fail with a one-line message where the optional matplotlib is not installed."""
    try:
        import matplotlib.backends.backend_agg  # noqa: F401
        import matplotlib.figure  # noqa: F401
    except ImportError:
        raise NotSupportedError(
            "the training demo's picture needs matplotlib; "
            "install it with: pip install 'derive[demo]'"
        ) from None


def save_plot(
    path: Path, kernels: types.ModuleType, params: dict, split: IrisSplit, result: dict
) -> None:
    """Two panels, written as PNG with the Agg backend: loss curve, decision regions."""
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 4.2), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    loss_axes, region_axes = figure.subplots(1, 2)
    draw_losses(loss_axes, result["losses"])
    draw_regions(region_axes, kernels, params, split)
    region_axes.set_title(
        f"Decision regions, held-out accuracy {result['held_out_accuracy']:.2f}"
    )
    figure.suptitle(
        "The seed network (2-3-2, ReLU, softmax) trained by its generated kernels"
    )
    # No 'Software' entry, so the file does not change with matplotlib's version.
    picture = io.BytesIO()
    figure.savefig(picture, format="png", metadata={"Software": None})
    write_files({path: picture.getvalue()})  # whole, or the old file stays


def draw_losses(axes, losses: list[float]) -> None:
    axes.plot(range(len(losses)), losses, color="black", linewidth=1.5)
    axes.set_xlabel("epoch")
    axes.set_ylabel("mean cross-entropy on the training rows")
    axes.set_title("Training loss")
    axes.set_ylim(bottom=0)
    axes.grid(alpha=0.3)


def draw_regions(axes, kernels, params: dict, split: IrisSplit) -> None:
    """Where the network says virginica, shaded, over the samples in centimetres."""
    low = split.x.min(axis=0) - 0.4
    high = split.x.max(axis=0) + 0.4
    grid_x, grid_y = np.meshgrid(
        np.linspace(low[0], high[0], 300), np.linspace(low[1], high[1], 300)
    )
    grid = np.column_stack([grid_x.ravel(), grid_y.ravel()])
    outputs, _ = kernels.forward(params, split.standardize(grid))
    second = outputs[:, 1].reshape(grid_x.shape)
    colours = ("tab:blue", "tab:orange")
    axes.contourf(grid_x, grid_y, second, levels=[0, 0.5, 1], colors=colours, alpha=0.2)
    axes.contour(grid_x, grid_y, second, levels=[0.5], colors="black", linewidths=1)

    for label, (name, colour) in enumerate(
        zip(split.class_names, colours, strict=True)
    ):
        for rows, marker, role in (
            (split.train_rows, "o", "train"),
            (split.held_out_rows, "x", "held out"),
        ):
            chosen = rows[split.labels[rows] == label]
            axes.scatter(
                *split.x[chosen].T,
                marker=marker,
                color=colour,
                s=22,
                label=f"{name} ({role})",
            )
    axes.set_xlabel("petal length (cm)")
    axes.set_ylabel("petal width (cm)")
    axes.legend(loc="lower right", fontsize="small")
