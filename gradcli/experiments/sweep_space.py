"""What a sweep searches: `--param KEY=SPEC`, parsed and checked against the config schema.

    optimizer.lr=log:1e-4..1e-1        a float on a log scale
    optimizer.lr=1e-3,1e-2,1e-1        choices, typed as the schema types the key
    model.layers[0].linear=int:32..256 an integer range (int:32..256:32 steps by 32)
    optimizer.momentum=0.8..0.99       a float range (uniform:, float: say the same)
    data.batch_size=logint:16..256     an integer range on a log scale

Each value reaches the config as a `--set KEY=VALUE` override does, so every spec is tried at
both ends of its range (or with each choice) before any trial starts: a bad key or value is
the same one-line config error a `--set` gives, naming the key.
"""

from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass, field

import yaml

from gradcli.config.load import load_data
from gradcli.errors import ConfigError

GRID_MAX = 10_000  # points a grid may have: beyond it, a grid sweep would never end
_PREFIXES = {"int": ("int", False), "logint": ("int", True), "log-int": ("int", True),
             "float": ("float", False), "uniform": ("float", False), "log": ("float", True),
             "loguniform": ("float", True)}  # fmt: skip
_EXAMPLES = (
    "e.g. optimizer.lr=log:1e-4..1e-1, data.batch_size=32,64, model.layers[0].linear=int:8..64"
)


@dataclass(frozen=True)
class Param:
    """One swept key: a range (`kind` int or float) or `choices` (`kind` choice)."""

    key: str  # dotted as `--set` takes it: model.layers.0.linear
    spec: str  # as written
    kind: str  # "int", "float" or "choice"
    low: float | int | None = None
    high: float | int | None = None
    step: float | int | None = None
    log: bool = False
    choices: tuple = ()
    origin: str = field(default="--param", compare=False)  # where it was given, for errors

    @property
    def text(self) -> str:
        return f"{self.origin} {self.key}={self.spec}"

    def distribution(self):
        """The Optuna distribution of this parameter."""
        from optuna.distributions import (
            CategoricalDistribution,
            FloatDistribution,
            IntDistribution,
        )

        if self.kind == "choice":
            return CategoricalDistribution(self.choices)
        if self.kind == "int":
            return IntDistribution(self.low, self.high, log=self.log, step=self.step or 1)
        return FloatDistribution(self.low, self.high, log=self.log, step=self.step)

    def grid(self) -> list:
        """Every value a grid sweep tries; ranges need a step (ints step by 1)."""
        if self.kind == "choice":
            return list(self.choices)
        if self.log or (self.kind == "float" and self.step is None):
            raise ConfigError(
                f"{self.text}: a grid needs choices or a range with a step, "
                f"e.g. {self.key}=1e-3,1e-2 or {self.key}=float:0.1..0.5:0.1"
            )
        step = self.step or 1
        count = int(math.floor((self.high - self.low) / step + 1e-9)) + 1
        values = [self.low + i * step for i in range(min(count, GRID_MAX + 1))]
        return values if self.kind == "int" else [round(v, 12) for v in values]


def override(key: str, value) -> str:
    """`KEY=VALUE` with the value as YAML text, so `--set` parsing gives back the same value."""
    text = yaml.safe_dump(value, default_flow_style=True, width=10**9).strip()
    return f"{key}={text.removesuffix('...').strip()}"


def normalise_key(key: str) -> str:
    """`model.layers[0].linear` -> `model.layers.0.linear` (both spellings are accepted)."""
    return re.sub(r"\[(\d+)\]", r".\1", key.strip()).strip(".")


def parse(text: str, where: str = "--param") -> Param:
    """A `KEY=SPEC` string as a Param (values not yet checked against the config)."""
    key, sep, spec = text.partition("=")
    key, spec = normalise_key(key), spec.strip()
    if not sep or not key or not spec:
        raise ConfigError(f"{where} {text}: expected KEY=SPEC, {_EXAMPLES}")
    return parse_spec(key, spec, where)


def parse_spec(key: str, spec: str, where: str = "--param") -> Param:
    bad = f"{where} {key}={spec}"
    prefix, colon, rest = spec.partition(":")
    if colon and prefix.strip().lower() in _PREFIXES:
        kind, log = _PREFIXES[prefix.strip().lower()]
        if ".." not in rest:
            raise ConfigError(f"{bad}: '{prefix}:' takes a range LOW..HIGH, e.g. {prefix}:1..10")
        return _range(key, spec, rest, kind, log, bad, where)
    if ".." in spec:
        ends = spec.split(":")[0].split("..")
        kind = "int" if all(re.fullmatch(r"\s*[-+]?\d+\s*", e) for e in ends) else "float"
        return _range(key, spec, spec, kind, False, bad, where)
    choices = [c.strip() for c in spec.split(",")]
    if any(not c for c in choices):
        raise ConfigError(f"{bad}: an empty choice; separate choices by commas: 1e-3,1e-2")
    values = tuple(_scalar(c) for c in choices)
    if len(set(map(repr, values))) != len(values):
        raise ConfigError(f"{bad}: a choice is given twice")
    return Param(key, spec, "choice", choices=values, origin=where)


def _range(key, spec, text, kind, log, bad, where) -> Param:
    bounds, _, step_text = text.partition(":")
    low_text, sep, high_text = bounds.partition("..")
    try:
        number = int if kind == "int" else float
        low, high = number(low_text.strip()), number(high_text.strip())
        step = number(step_text.strip()) if step_text.strip() else None
    except ValueError:
        what = "whole numbers" if kind == "int" else "numbers"
        raise ConfigError(f"{bad}: the range ends (and step) must be {what}") from None
    if not all(math.isfinite(v) for v in (low, high, step or 1)):
        raise ConfigError(f"{bad}: the range must be finite")
    if low >= high:
        raise ConfigError(f"{bad}: the range is empty: LOW must be below HIGH")
    if log and low <= 0:
        raise ConfigError(f"{bad}: a log range must be above 0")
    if step is not None and (step <= 0 or log):
        why = "a log range takes no step" if log else "the step must be above 0"
        raise ConfigError(f"{bad}: {why}")
    return Param(key, spec, kind, low, high, step, log, origin=where)


def _scalar(text: str):
    """A choice as the YAML parser reads it, numbers like 1e-3 included (YAML 1.1 reads them
    as strings); the schema types it later."""
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    if isinstance(value, str):
        try:
            return float(value) if re.fullmatch(r"[-+]?[\d.]+[eE][-+]?\d+", value) else value
        except ValueError:
            return value
    return value if isinstance(value, (bool, int, float)) or value is None else text


def check(params: list[Param], data: dict, source, sets=()) -> list[Param]:
    """Every param tried on the config (both ends of a range, every choice), the choices typed
    as the schema types them. Raises a one-line ConfigError naming the param."""
    keys = [p.key for p in params]
    twice = next((k for k in keys if keys.count(k) > 1), None)
    if twice is not None:
        raise ConfigError(f"--param {twice}: swept twice; give one spec per key")
    checked = []
    for p in params:
        tried = list(p.choices) if p.kind == "choice" else [p.low, p.high]
        typed = [_typed(p, v, data, source, sets) for v in tried]
        if p.kind == "choice":
            p = Param(p.key, p.spec, "choice", choices=tuple(typed), origin=p.origin)
        elif p.kind == "float" and all(isinstance(v, int) and not isinstance(v, bool)
                                       for v in typed):  # fmt: skip
            raise ConfigError(
                f"{p.text}: {p.key} is a whole number; sweep it with "
                f"int:{int(p.low)}..{int(p.high)}"
            )
        checked.append(p)
    return checked


def _typed(p: Param, value, data, source, sets):
    """The value the config holds at `p.key` when `value` is set there."""
    source = copy.copy(source)
    source.overrides = dict(source.overrides)
    item = override(p.key, value)
    try:
        config = load_data(copy.deepcopy(data), source, [*sets, item])
    except ConfigError as e:
        lines = [line for line in str(e).splitlines()[1:] if line.strip()] or [str(e)]
        detail = lines[0].removeprefix(f"--set {item}: ").strip()
        raise ConfigError(f"{p.text} (trying {value}): {detail}") from None
    node = config.model_dump(mode="json")
    for part in p.key.split("."):
        node = node[int(part)] if isinstance(node, list) else node.get(part)
    if isinstance(node, (dict, list)):  # a component chosen by name: keep what was written
        return value
    return node
