"""Stage 1: read a network spec (TOML) and validate it into a ``Spec``.

Every check runs before anything is written; each failure is one ``BadInputError`` line
naming the file, the key, the bad value and what is allowed.
"""

from __future__ import annotations

import datetime
import difflib
import math
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from derive.errors import BadInputError

ACTIVATIONS = (
    "relu",
    "leaky_relu",
    "sigmoid",
    "tanh",
    "softplus",
    "identity",
    "softmax",
)
LOSSES = ("cross_entropy", "binary_cross_entropy", "mse")
REDUCTIONS = ("mean", "sum")
MAX_UNITS = 65536
MAX_LAYERS = 256
MAX_PARAMETERS = 50_000_000
# A spec is a few lines; the cap also ends a read of a device such as /dev/zero.
MAX_SPEC_BYTES = 1_000_000
DEFAULT_LEAKY_ALPHA = 0.01
MIN_LEAKY_ALPHA = 1e-06
NAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")

TOP_LEVEL_KEYS = ("name", "inputs", "loss", "reduction", "layers")
LAYER_KEYS = ("units", "activation", "alpha")

# Output activations whose every value lies strictly inside (0, 1).
UNIT_INTERVAL_OUTPUTS = ("sigmoid", "softmax")
# Output and loss pairs whose kernels compute a logarithm that can underflow.
IMPRECISE_AT_EXTREMES = {
    (
        "softplus",
        "cross_entropy",
    ): "ln z is infinite once z underflows to 0, for a below "
    "about -745 (float64) or -104 (float32)",
    (
        "softmax",
        "binary_cross_entropy",
    ): "ln(1 - z) is infinite once z rounds to 1, for a "
    "logit ahead of the others by about 37 (float64) or 17 (float32)",
}
# Output activations that can be zero or negative, where ln z is undefined.
NON_POSITIVE_OUTPUTS = ("relu", "leaky_relu", "tanh", "identity")


@dataclass(frozen=True)
class Layer:
    units: int
    activation: str
    alpha: float = DEFAULT_LEAKY_ALPHA


@dataclass(frozen=True)
class Spec:
    name: str
    inputs: int
    loss: str
    layers: tuple[Layer, ...]
    reduction: str = "mean"
    source: str = "<embedded seed>"
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @property
    def layer_sizes(self) -> tuple[int, ...]:
        """Units per layer, the inputs first: (n_0, n_1, ..., n_L)."""
        return (self.inputs, *(layer.units for layer in self.layers))

    @property
    def depth(self) -> int:
        return len(self.layers)

    @property
    def parameter_count(self) -> int:
        sizes = self.layer_sizes
        return sum((sizes[l - 1] + 1) * sizes[l] for l in range(1, len(sizes)))

    @property
    def output(self) -> Layer:
        return self.layers[-1]

    def describe(self) -> str:
        sizes = "-".join(str(n) for n in self.layer_sizes)
        activations = ", ".join(layer.activation for layer in self.layers)
        return (
            f"{self.name}: {sizes} ({activations}), {self.loss} loss, {self.reduction}"
        )


def seed_spec() -> Spec:
    """The seed network (2-3-2, ReLU then softmax, cross-entropy), shipped with the package."""
    text = resources.files("derive").joinpath("seed.toml").read_text(encoding="utf-8")
    return parse_spec(text, source="<embedded seed>")


def load_spec(path: str | Path | None) -> Spec:
    """Read and validate the spec at ``path``; ``None`` means the embedded seed."""
    if path is None:
        return seed_spec()
    if str(path) == "":
        raise BadInputError("the spec path is empty; name a .toml spec file")
    path = Path(path)
    try:
        with path.open("rb") as stream:
            raw = stream.read(MAX_SPEC_BYTES + 1)
    except FileNotFoundError:
        raise BadInputError(f"{path}: spec file not found") from None
    except IsADirectoryError:
        raise BadInputError(
            f"{path}: is a folder, expected a .toml spec file"
        ) from None
    except OSError as error:
        raise BadInputError(
            f"{path}: cannot read spec file ({error.strerror})"
        ) from None
    if len(raw) > MAX_SPEC_BYTES:
        raise BadInputError(
            f"{path}: spec file is over {MAX_SPEC_BYTES / 1e6:.0f} MB; "
            "a spec is a short TOML file"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadInputError(f"{path}: spec file is not UTF-8 text") from None
    return parse_spec(text, source=str(path))


def parse_spec(text: str, source: str) -> Spec:
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise BadInputError(f"{source}: invalid TOML: {error}") from None

    check_keys(table, TOP_LEVEL_KEYS, source, where="")
    for key in ("name", "inputs", "loss", "layers"):
        if key not in table:
            raise BadInputError(f"{source}: missing required key '{key}'")

    name = read_name(table["name"], source)
    inputs = read_count(table["inputs"], source, "inputs")
    loss = read_choice(table["loss"], source, "loss", LOSSES)
    reduction = read_choice(
        table.get("reduction", "mean"), source, "reduction", REDUCTIONS
    )
    layers = read_layers(table["layers"], source)

    spec = Spec(name, inputs, loss, layers, reduction, source)
    check_parameter_count(spec)
    warnings = check_loss_fits_output(spec)
    return Spec(name, inputs, loss, layers, reduction, source, tuple(warnings))


def check_keys(
    table: dict[str, Any], allowed: tuple[str, ...], source: str, where: str
):
    for key in table:
        if key not in allowed:
            hint = did_you_mean(key, allowed)
            raise BadInputError(
                f"{source}: unknown key '{where}{key}'{hint}; allowed: {', '.join(allowed)}"
            )


def did_you_mean(value: str, allowed: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(value.lower(), allowed, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def type_name(value: Any) -> str:
    """The TOML name of a value's type, with its article: 'a table'."""
    names = {
        bool: "a boolean",
        int: "an integer",
        float: "a float",
        str: "a string",
        dict: "a table",
        list: "an array",
        datetime.datetime: "a date-time",
        datetime.date: "a date",
        datetime.time: "a time",
    }
    return names.get(type(value), type(value).__name__)


def read_name(value: Any, source: str) -> str:
    if not isinstance(value, str):
        raise BadInputError(
            f"{source}: 'name' must be a string, got {type_name(value)}"
        )
    if not NAME_PATTERN.fullmatch(value):
        raise BadInputError(
            f"{source}: 'name' = {value!r} is not a safe identifier; use a letter followed "
            "by up to 63 letters, digits, '_' or '-'"
        )
    return value


def read_count(value: Any, source: str, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadInputError(
            f"{source}: '{key}' must be an integer, got {type_name(value)}"
        )
    if not 1 <= value <= MAX_UNITS:
        raise BadInputError(
            f"{source}: '{key}' = {value} is out of range; allowed: 1 to {MAX_UNITS}"
        )
    return value


def read_choice(value: Any, source: str, key: str, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str):
        raise BadInputError(
            f"{source}: '{key}' must be a string, got {type_name(value)}"
        )
    if value not in allowed:
        hint = did_you_mean(value, allowed)
        raise BadInputError(
            f"{source}: '{key}' = {value!r} is not known{hint}; allowed: {', '.join(allowed)}"
        )
    return value


def read_layers(value: Any, source: str) -> tuple[Layer, ...]:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise BadInputError(
            f"{source}: 'layers' must be an array of tables ([[layers]]), got {type_name(value)}"
        )
    if not value:
        raise BadInputError(
            f"{source}: 'layers' is empty; a network needs at least one layer"
        )
    if len(value) > MAX_LAYERS:
        raise BadInputError(
            f"{source}: 'layers' has {len(value)} entries; allowed: at most {MAX_LAYERS}"
        )
    return tuple(read_layer(item, source, index) for index, item in enumerate(value))


def read_layer(table: dict[str, Any], source: str, index: int) -> Layer:
    where = f"layers[{index}]"
    check_keys(table, LAYER_KEYS, source, where=f"{where}.")
    for key in ("units", "activation"):
        if key not in table:
            raise BadInputError(f"{source}: missing required key '{where}.{key}'")
    units = read_count(table["units"], source, f"{where}.units")
    activation = read_choice(
        table["activation"], source, f"{where}.activation", ACTIVATIONS
    )

    if "alpha" not in table:
        return Layer(units, activation)
    if activation != "leaky_relu":
        raise BadInputError(
            f"{source}: '{where}.alpha' is only allowed with activation 'leaky_relu', "
            f"not {activation!r}"
        )
    alpha = table["alpha"]
    if isinstance(alpha, bool) or not isinstance(alpha, int | float):
        raise BadInputError(
            f"{source}: '{where}.alpha' must be a number, got {type_name(alpha)}"
        )
    # Below MIN_LEAKY_ALPHA the slope is ReLU's in all but name, and its exact
    # fraction would fill lines of the derivation with zeros.
    if not (math.isfinite(alpha) and MIN_LEAKY_ALPHA <= alpha < 1):
        raise BadInputError(
            f"{source}: '{where}.alpha' = {alpha} is out of range; "
            f"allowed: {MIN_LEAKY_ALPHA} <= alpha < 1"
        )
    return Layer(units, activation, float(alpha))


def check_parameter_count(spec: Spec) -> None:
    if spec.parameter_count > MAX_PARAMETERS:
        raise BadInputError(
            f"{spec.source}: the network has {spec.parameter_count} parameters; "
            f"allowed: at most {MAX_PARAMETERS}"
        )


def check_loss_fits_output(spec: Spec) -> list[str]:
    """Errors for losses undefined on the output range; warnings for unwise pairs."""
    output = spec.output.activation
    where = f"layers[{spec.depth - 1}].activation"
    if spec.loss == "binary_cross_entropy" and output not in UNIT_INTERVAL_OUTPUTS:
        raise BadInputError(
            f"{spec.source}: loss 'binary_cross_entropy' needs outputs in (0, 1), but "
            f"'{where}' = {output!r} is not; use 'sigmoid' or 'softmax'"
        )
    if (
        spec.loss == "binary_cross_entropy"
        and output == "softmax"
        and spec.output.units == 1
    ):
        raise BadInputError(
            f"{spec.source}: a softmax over one unit is the constant 1, where "
            "'binary_cross_entropy' is infinite; use 'sigmoid' for one output"
        )
    warnings = []
    if spec.loss == "cross_entropy" and output in NON_POSITIVE_OUTPUTS:
        warnings.append(
            f"{spec.source}: loss 'cross_entropy' takes ln of the outputs, but '{where}' = "
            f"{output!r} can be zero or negative, where the loss is infinite or NaN; "
            "'softmax' or 'sigmoid' is the usual choice"
        )
    if (output, spec.loss) in IMPRECISE_AT_EXTREMES:
        warnings.append(
            f"{spec.source}: loss {spec.loss!r} after '{where}' = {output!r} turns "
            "infinite before the true loss does: "
            f"{IMPRECISE_AT_EXTREMES[output, spec.loss]}"
        )
    if spec.output.activation == "softmax" and spec.output.units == 1:
        warnings.append(
            f"{spec.source}: a softmax over one unit is the constant 1 and learns nothing; "
            "use 'sigmoid' for one output"
        )
    for index, layer in enumerate(spec.layers[:-1]):
        if layer.activation == "softmax" and layer.units == 1:
            warnings.append(
                f"{spec.source}: 'layers[{index}]' is a softmax over one unit, the "
                "constant 1, so no gradient reaches the layers before it"
            )
    return warnings
