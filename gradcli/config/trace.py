"""Build a layer list for an input shape, through every branch, block and saved output: each
plain layer is built for its inferred input and run on a 2-sample dummy batch; merges check
their inputs' shapes. Any problem is a ConfigError at the entry's file:line with the shapes.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter, ValidationError

import gradcli
from gradcli import nn
from gradcli.config import graph as G
from gradcli.config.messages import dotted, format_error
from gradcli.errors import ConfigError, GradcliError
from gradcli.registry import did_you_mean

MAX_PARAMS = 10**9  # 4 GB of float32 weights, 16 GB with gradients and Adam's moments
MAX_SAMPLE_ELEMENTS = 10**8  # one sample's input or any layer's output: 400 MB in float32
Shape = tuple[int, ...]


@dataclass
class Step:
    """One traced entry of a layer list: its module, output shape, and its part in the list's
    named outputs (`save` names it; `reads` are the saved names an add/concat merges in)."""

    module: nn.Module
    shape: Shape
    save: str | None = None
    reads: list[str] = field(default_factory=list)


def sequence(steps: list[Step]) -> nn.Module:
    modules = [s.module for s in steps]
    saves = {i: s.save for i, s in enumerate(steps) if s.save}
    reads = {i: s.reads for i, s in enumerate(steps) if s.reads}
    if saves or reads:
        return nn.Graph(*modules, saves=saves, reads=reads)
    return nn.Sequential(*modules)


class Tracer:
    def __init__(self, config):
        self.config = config
        self.blocks: dict = config.model.blocks or {}
        self.total = 0  # parameters so far, checked against MAX_PARAMS before allocating

    def where(self, loc) -> str:
        return f"{self.config.where(*loc)}: {dotted(loc)}"

    def check_elements(self, what: str, loc, shape: Shape) -> None:
        n = math.prod(shape)
        if n > MAX_SAMPLE_ELEMENTS:
            raise ConfigError(
                f"{self.where(loc)}: {what} has {n:,} elements per sample {list(shape)}, more "
                f"than the {MAX_SAMPLE_ELEMENTS:,} gradcli allows"
            )

    def steps(self, specs: list, shape: Shape, loc: tuple, visible=None) -> list[Step]:
        """Trace a layer list; `visible`: the blocks its entries may use (all by default)."""
        saved: dict[str, Shape] = {}
        later = {s.name: i for i, s in enumerate(specs) if isinstance(s, G.Save)}
        out = []
        for i, spec in enumerate(specs):
            step = self.entry(spec, shape, loc + (i,), saved, later, visible)
            if step.save is not None:
                if step.save in saved:
                    raise ConfigError(
                        f"{self.where(loc + (i,))}: save: '{step.save}' is saved twice in this "
                        "list; give each saved output its own name"
                    )
                saved[step.save] = step.shape
            shape = step.shape
            out.append(step)
        return out

    def entry(self, spec, shape, loc, saved, later, visible) -> Step:
        if isinstance(spec, G.Save):
            return Step(nn.Identity(), shape, save=spec.name)
        if isinstance(spec, G.AddSaved):  # concat too
            return self.merge_saved(spec, shape, loc, saved, later)
        if isinstance(spec, G.Residual):
            return Step(*self.residual(spec.body, spec.shortcut, spec.after, shape, loc, visible))
        if isinstance(spec, G.Branches):
            return Step(*self.branches(spec, shape, loc, visible))
        if isinstance(spec, G.UseBlock):
            return Step(*self.use_block(spec, shape, loc, visible))
        return Step(*self.leaf(spec, shape, loc))

    def merge_saved(self, spec, shape, loc, saved, later) -> Step:
        for name in spec.names:
            if name in saved:
                continue
            if name in later:
                problem = f"'{name}' is saved later (at [{later[name]}]); save it before"
            else:
                hint = did_you_mean(name, list(saved))
                known = (
                    f"; did you mean '{hint}'?" if hint else f" (saved: {list(saved) or 'none'})"
                )
                problem = f"no output is saved as '{name}' in this list{known}"
            raise ConfigError(f"{self.where(loc)}: {spec.kind}: {problem}")
        shapes = [("current output", shape)] + [(f"'{n}'", saved[n]) for n in spec.names]
        out = self.merged(spec.kind, shapes, loc)
        return Step(spec.build(shape), out, reads=spec.names)

    def merged(self, kind: str, shapes: list[tuple[str, Shape]], loc) -> Shape:
        """The output shape of adding or concatenating (on dim 0 of a sample) `shapes`."""
        listed = ", ".join(f"{what} {list(s)}" for what, s in shapes)
        first = shapes[0][1]
        if kind == "add" and any(s != first for _, s in shapes):
            raise ConfigError(f"{self.where(loc)}: add needs equal shapes, got {listed}")
        if kind == "concat":
            if any(len(s) != len(first) or s[1:] != first[1:] for _, s in shapes):
                raise ConfigError(
                    f"{self.where(loc)}: concat joins on channels (the first dimension) and "
                    f"needs the others equal, got {listed}"
                )
            return (sum(s[0] for _, s in shapes), *first[1:])
        return first

    def residual(self, body, shortcut, after, shape, loc, visible, body_loc=None):
        body_loc = body_loc or loc + ("residual", "body")
        body_steps = self.steps(body, shape, body_loc, visible)
        out = body_steps[-1].shape
        if shortcut == "identity" and out != shape:
            raise ConfigError(
                f"{self.where(loc)}: residual: an identity shortcut needs the body to keep the "
                f"shape, but it maps {list(shape)} to {list(out)}; use shortcut: projection"
            )
        project = shortcut == "projection" or (shortcut == "auto" and out != shape)
        short = self.projection(shape, out, loc) if project else None
        module = nn.Residual(sequence(body_steps), short)
        if after is not None:
            after_loc = loc + ("residual", "after") if body_loc[-1] == "body" else loc + ("after",)
            step = self.entry(after, out, after_loc, {}, {}, visible)
            module.after, out = step.module, step.shape
        return module, out

    def projection(self, shape: Shape, out: Shape, loc) -> nn.Module:
        """He et al.'s option B: a strided 1x1 conv and batchnorm (a linear map if flat)."""
        if len(shape) == 1 and len(out) == 1:
            self.total += shape[0] * out[0]
            return nn.Linear(shape[0], out[0], bias=False)
        stride = [-(-a // b) for a, b in zip(shape[1:], out[1:])] if len(out) == 3 else []
        if (
            len(shape) != 3
            or len(out) != 3
            or any((a - 1) // s + 1 != b for a, s, b in zip(shape[1:], stride, out[1:]))
        ):
            raise ConfigError(
                f"{self.where(loc)}: residual: no 1x1 projection maps the input {list(shape)} to "
                f"the body's output {list(out)}; make the body keep the rank and shrink the "
                "size by a whole stride"
            )
        self.total += shape[0] * out[0] + 2 * out[0]
        conv = nn.Conv2d(shape[0], out[0], 1, tuple(stride), bias=False)
        return nn.Sequential(conv, nn.BatchNorm2d(out[0]))

    def branches(self, spec, shape, loc, visible):
        paths, shapes = [], []
        for j, path in enumerate(spec.paths):
            steps = self.steps(path, shape, loc + ("branches", "paths", j), visible)
            paths.append(sequence(steps))
            shapes.append((f"paths[{j}]", steps[-1].shape))
        out = self.merged(spec.merge, shapes, loc + ("branches",))
        return nn.Branches(paths, nn.Add() if spec.merge == "add" else nn.Concat(1)), out

    def use_block(self, spec, shape, loc, visible):
        names = list(self.blocks) if visible is None else visible
        if spec.name not in names:
            raise ConfigError(f"{self.where(loc)}: {self._unknown_block(spec.name, names)}")
        block = self.blocks[spec.name]
        values = self._params(spec, block, loc)
        field_ = "layers" if block.layers is not None else "residual"
        body_loc = ("model", "blocks", spec.name, field_)
        earlier = list(self.blocks)[: list(self.blocks).index(spec.name)]
        modules = []
        try:
            body = self._validate(_substitute(getattr(block, field_), values, body_loc, self),
                                  body_loc, earlier)  # fmt: skip
            after = None
            if block.after is not None:
                after_raw = _substitute([block.after], values, body_loc[:-1] + ("after",), self)
                after = self._validate(after_raw, body_loc[:-1] + ("after",), earlier)[0]
            for _ in range(spec.repeat):
                if block.layers is not None:
                    steps = self.steps(body, shape, body_loc, earlier)
                    module, shape = sequence(steps), steps[-1].shape
                else:
                    module, shape = self.residual(
                        body, block.shortcut, after, shape, body_loc[:-1], earlier, body_loc
                    )
                modules.append(module)
        except ConfigError as e:
            raise ConfigError(f"{e} (in block '{spec.name}', used at {self.where(loc)})") from None
        return (modules[0] if len(modules) == 1 else nn.Sequential(*modules)), shape

    def _unknown_block(self, name: str, visible: list[str]) -> str:
        if name in self.blocks:
            order = list(self.blocks)
            user = order[len(visible)] if len(visible) < len(order) else name
            if user == name:
                return f"block '{name}' uses itself; a block may only use blocks defined before it"
            return (
                f"block '{user}' uses block '{name}', which is defined after it; move '{name}' "
                "above it in model.blocks"
            )
        hint = did_you_mean(name, visible)
        return f"unknown block '{name}'" + (f"; did you mean '{hint}'?" if hint else "")

    def _params(self, spec, block, loc) -> dict:
        unknown = [k for k in spec.args if k not in block.params]
        if unknown:
            hint = did_you_mean(unknown[0], list(block.params))
            raise ConfigError(
                f"{self.where(loc)}: block '{spec.name}' has no parameter '{unknown[0]}'"
                + (f"; did you mean '{hint}'?" if hint else f" (its params: {list(block.params)})")
            )
        values = {**block.params, **spec.args}
        missing = [k for k, v in values.items() if v is None]
        if missing:
            raise ConfigError(
                f"{self.where(loc)}: block '{spec.name}' needs parameter '{missing[0]}' (it has "
                f"no default); give it, e.g. `- {spec.name}: {{{missing[0]}: ...}}`"
            )
        return values

    def _validate(self, raw: list, loc: tuple, visible: list[str]) -> list:
        from gradcli.config.schema import config_model

        raw = G.rewrite_uses(raw, set(self.blocks))
        annotation = config_model().model_fields["model"].annotation.model_fields["layers"]
        try:
            return TypeAdapter(annotation.annotation).validate_python(raw)
        except ValidationError as e:
            lines = [format_error({**err, "loc": loc + tuple(err["loc"])}, self.config._source)
                     for err in e.errors()]  # fmt: skip
            raise ConfigError("\n".join(lines)) from None

    def leaf(self, spec, shape, loc):
        spec.check_input(shape, self.where(loc))
        self.total += spec.num_params(shape)
        if self.total > MAX_PARAMS:
            raise ConfigError(
                f"{self.where(loc)} ({spec.kind}) brings the model to {self.total:,} parameters, "
                f"more than the {MAX_PARAMS:,} gradcli allows; make the layer or its input smaller"
            )
        try:
            module = spec.build(shape)
            module.eval()
            with gradcli.no_grad():
                y = module(gradcli.zeros(2, *shape))
        except ConfigError:
            raise
        except MemoryError:
            raise ConfigError(
                f"{self.where(loc)} ({spec.kind}) does not fit in memory for input of shape {shape}"
            ) from None
        except (GradcliError, ValueError, IndexError) as e:
            raise ConfigError(
                f"{self.where(loc)} ({spec.kind}) cannot take input of shape {shape}: {e}"
            ) from None
        out = tuple(y.shape[1:])
        if 0 in out:
            raise ConfigError(
                f"{self.where(loc)} ({spec.kind}) gives an empty output {out}; use a smaller "
                "kernel or stride, or more padding"
            )
        self.check_elements(f"{spec.kind} output", loc, out)
        module.train()
        return module, out


def _substitute(raw: Any, values: dict, loc: tuple, tracer: Tracer) -> Any:
    """`raw` with every `$param` string replaced by the parameter's value."""
    if isinstance(raw, str) and raw.startswith("$"):
        if raw[1:] not in values:
            hint = did_you_mean(raw[1:], list(values))
            raise ConfigError(
                f"{tracer.where(loc)}: unknown block parameter '{raw}'"
                + (f"; did you mean '${hint}'?" if hint else f" (params: {list(values)})")
            )
        return copy.deepcopy(values[raw[1:]])
    if isinstance(raw, list):
        return [_substitute(v, values, loc + (i,), tracer) for i, v in enumerate(raw)]
    if isinstance(raw, dict):
        return {k: _substitute(v, values, loc + (k,), tracer) for k, v in raw.items()}
    return raw
