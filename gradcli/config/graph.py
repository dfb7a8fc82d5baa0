"""Graph layers in the YAML: what a layer list may hold besides plain layers.

    - residual: {body: [...], shortcut: auto, after: relu}   # after(body(x) + shortcut(x))
    - branches: {merge: concat, paths: [[...], [...]]}       # every path gets the same input
    - save: skip                                              # remember the current output
    - add: skip                                               # current output + saved ones
    - concat: [a, b]                                          # ... or joined on channels
    - basic: {channels: 32, repeat: 2}                        # a block from model.blocks

Each is a spec in the layer registry, so it validates like a layer; `trace.py` builds them,
inferring every branch's shapes.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, PositiveInt, StringConstraints, model_serializer, model_validator

from gradcli import nn
from gradcli.config.layers import LAYERS
from gradcli.config.spec import LayerSpec, Strict

NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
Shortcut = Literal["auto", "identity", "projection"]
_SHORTCUT_HELP = (
    "auto: identity when the body keeps the shape, else a projection (1x1 conv with the "
    "stride + batchnorm; linear for flat features)."
)


@LAYERS.register("residual")
class Residual(LayerSpec):
    shorthand = "body"
    # "AnyLayer" is every registered layer, these included: the schema resolves it
    body: list[AnyLayer] = Field(  # noqa: F821
        min_length=1, description="The layers of f in f(x) + x."
    )
    shortcut: Shortcut = Field("auto", description=_SHORTCUT_HELP)
    after: AnyLayer | None = Field(  # noqa: F821
        None, description="A layer applied to the sum (e.g. relu)."
    )


@LAYERS.register("branches")
class Branches(LayerSpec):
    merge: Literal["add", "concat"] = Field("concat", description="concat joins on channels.")
    paths: list[list[AnyLayer]] = Field(  # noqa: F821
        min_length=2, description="Each gets the same input."
    )


@LAYERS.register("save")
class Save(LayerSpec):
    shorthand = "name"
    name: Name = Field(description="Name the current output for a later add/concat.")

    def build(self, shape):
        return nn.Identity()


@LAYERS.register("add")
class AddSaved(LayerSpec):
    shorthand = "inputs"
    inputs: Name | Annotated[list[Name], Field(min_length=1)] = Field(
        description="Saved outputs to add to the current one."
    )

    @property
    def names(self) -> list[str]:
        return [self.inputs] if isinstance(self.inputs, str) else list(self.inputs)

    def build(self, shape):
        return nn.Add()


@LAYERS.register("concat")
class ConcatSaved(AddSaved):
    inputs: Name | Annotated[list[Name], Field(min_length=1)] = Field(
        description="Saved outputs to join to the current one."
    )

    def build(self, shape):
        return nn.Concat(1)


@LAYERS.register("block")
class UseBlock(LayerSpec):
    """A use of a block from `model.blocks` (written `- basic: {...}`; the schema's `Model`
    rewrites it to this form before validation, and it is written back under its own name)."""

    name: Name
    args: dict[str, Any] = Field(default_factory=dict)
    repeat: PositiveInt = 1

    @model_validator(mode="before")
    @classmethod
    def _split(cls, raw: Any) -> Any:
        if isinstance(raw, dict) and set(raw) == {"block"}:
            raw = raw["block"]
        if isinstance(raw, dict) and len(raw) == 1 and not set(raw) & set(cls.model_fields):
            ((name, value),) = raw.items()
            args = dict(value) if isinstance(value, dict) else {}
            return {"name": name, "args": args, "repeat": args.pop("repeat", 1)}
        return raw

    @model_serializer(mode="wrap")
    def _wrap(self, handler):
        args = {**self.args, **({"repeat": self.repeat} if self.repeat != 1 else {})}
        return {self.name: args} if args else self.name

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema, handler):
        """What the YAML holds: `- basic` or `- basic: {channels: 32, repeat: 2}`, any name but
        a layer's (an editor cannot know which blocks a file defines; gradcli checks it)."""
        inner = handler(core_schema)
        body = handler.resolve_ref_schema(inner)
        name = {"pattern": NAME_PATTERN, "not": {"enum": [n for n in LAYERS if n != cls.kind]}}
        args = {"anyOf": [{"type": "object"}, {"type": "null"}]}
        body.clear()
        body.update(
            title=cls.__name__,
            description="A block from model.blocks, by name, with its parameters and `repeat`.",
            anyOf=[
                {"type": "string", **name},
                {"type": "object", "minProperties": 1, "maxProperties": 1,
                 "propertyNames": name, "additionalProperties": args},
            ],
        )  # fmt: skip
        return inner


class Block(Strict):
    """A named, reusable piece of network: `layers` (a stack) or `residual` (with `shortcut`
    and `after`), in which `$param` stands for a parameter's value."""

    params: dict[Name, Any] = Field(
        default_factory=dict, description="Parameters and their defaults (null: required)."
    )
    layers: list[Any] | None = Field(None, min_length=1, description="A stack of layers.")
    residual: list[Any] | None = Field(
        None, min_length=1, description="The body of a residual block."
    )
    shortcut: Shortcut = Field("auto", description=_SHORTCUT_HELP)
    after: Any = Field(None, description="A layer applied after the residual sum.")

    @model_validator(mode="after")
    def _one_body(self):
        if (self.layers is None) == (self.residual is None):
            raise ValueError("give exactly one of `layers` or `residual` (the block's body)")
        if self.residual is None and (self.after is not None or self.shortcut != "auto"):
            raise ValueError("`shortcut` and `after` go with `residual`; put the layer in `layers`")
        return self


def rewrite_uses(value: Any, blocks: set[str]) -> Any:
    """`- basic: {...}` and `- basic` anywhere in a layer list -> `{block: {basic: ...}}`, for
    the names in `blocks`. Merge inputs (`add`, `concat`, `save` values) are names, left alone."""
    if isinstance(value, list):
        return [_rewrite_entry(v, blocks) for v in value]
    return value


def _rewrite_entry(entry: Any, blocks: set[str]) -> Any:
    if isinstance(entry, str) and entry in blocks:
        return {"block": {entry: None}}
    if not isinstance(entry, dict) or len(entry) != 1:
        return entry
    ((key, value),) = entry.items()
    if key in blocks:
        return {"block": {key: value}}
    if key == "residual":
        if isinstance(value, list):
            return {key: rewrite_uses(value, blocks)}
        if isinstance(value, dict):
            out = dict(value)
            out["body"] = rewrite_uses(out.get("body"), blocks)
            if "after" in out:
                out["after"] = _rewrite_entry(out["after"], blocks)
            return {key: out}
    if key == "branches" and isinstance(value, dict) and isinstance(value.get("paths"), list):
        return {key: {**value, "paths": [rewrite_uses(p, blocks) for p in value["paths"]]}}
    return entry
