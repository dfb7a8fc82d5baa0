"""What every config component has in common: a strict pydantic model registered under its YAML
name, which it learns from its registry, so the name is written once (in `register`).

Two shapes of component:

- a layer is a one-key mapping or a bare name: `- linear: 10`, `- relu` (`LayerSpec`);
- a loss, optimizer or scheduler is chosen by a `type:` key, and a bare string is just the type:
  `loss: mse` is `loss: {type: mse}` (`Typed`).

`tagged_union(registry)` turns a registry into the pydantic union the schema uses, so the
union, its tags and the JSON Schema follow the registry.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Tag, model_serializer, model_validator

from gradcli import nn
from gradcli.errors import ConfigError
from gradcli.registry import Registry


class Strict(BaseModel):
    """Unknown keys, inf and nan are refused; assignments are validated too."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)


class Spec(Strict):
    """A registered component. `kind` is its YAML name, set by `SpecRegistry.register`."""

    kind: ClassVar[str] = ""

    @classmethod
    def bare_allowed(cls) -> bool:
        """Whether the bare name alone is a valid spec (no required fields)."""
        return not any(f.is_required() for f in cls.model_fields.values())


class SpecRegistry(Registry):
    """A registry of `Spec` classes that tells each class the name it was registered under."""

    def __init__(self, kind: str, base: type[Spec]):
        super().__init__(kind)
        self.base = base

    def _add(self, name: str, entry) -> None:
        if not (isinstance(entry, type) and issubclass(entry, self.base)):
            raise TypeError(f"{self.kind} {name!r}: register a subclass of {self.base.__name__}")
        if entry.__dict__.get("kind") not in (None, "", name):
            raise ValueError(f"{entry.__name__} is already registered as {entry.kind!r}")
        entry.kind = name
        super()._add(name, entry)


class Typed(Spec):
    """A component chosen by its `type:` key. `spec.type` is its registered name."""

    @model_validator(mode="before")
    @classmethod
    def _drop_type(cls, raw: Any) -> Any:
        if isinstance(raw, str):  # the bare form: `loss: mse`
            return {}
        if isinstance(raw, dict) and "type" in raw:
            if raw["type"] != cls.kind:
                raise ValueError(f"type {raw['type']!r} is not {cls.kind!r}")
            return {k: v for k, v in raw.items() if k != "type"}
        return raw

    @model_serializer(mode="wrap")
    def _with_type(self, handler) -> dict:
        return {"type": self.kind, **handler(self)}

    @property
    def type(self) -> str:
        return self.kind

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema, handler):
        ref = handler(core_schema)
        schema = handler.resolve_ref_schema(ref)
        const = {"const": cls.kind, "title": "Type", "type": "string"}
        schema["properties"] = {"type": const, **schema.get("properties", {})}
        schema["required"] = ["type", *schema.get("required", [])]
        if cls.bare_allowed():  # `loss: mse`
            body = dict(schema)
            schema.clear()
            schema.update(anyOf=[{"const": cls.kind}, body], title=cls.__name__)
        return ref


Shape = tuple[int, ...]
_NDIM = {1: "flat features", 3: "(channels, height, width)"}


class LayerSpec(Spec):
    """A layer. `expects = (ndim, fix)` checks the input's rank before `build` is called."""

    shorthand: ClassVar[str | None] = None  # the field a scalar value sets: `- linear: 10`
    expects: ClassVar[tuple[int, str] | None] = None

    def build(self, shape: Shape) -> nn.Module:
        """The module for one sample of shape `shape` (no batch dimension)."""
        raise NotImplementedError

    def num_params(self, shape: Shape) -> int:
        """Parameters `build(shape)` would allocate: checked before allocating. Override it in
        layers whose size grows with the config (0 for the others)."""
        return 0

    def check_input(self, shape: Shape, where: str) -> None:
        if self.expects is not None and len(shape) != self.expects[0]:
            ndim, fix = self.expects
            raise ConfigError(
                f"{where} ({self.kind}) expects {_NDIM.get(ndim, f'{ndim} dimensions')} but its "
                f"input has shape {shape}; {fix}"
            )

    @model_validator(mode="before")
    @classmethod
    def _unwrap(cls, raw: Any) -> Any:
        if isinstance(raw, str):
            return {}
        if isinstance(raw, dict) and len(raw) == 1 and next(iter(raw)) == cls.kind:
            (value,) = raw.values()
            if value is None:
                return {}
            if isinstance(value, dict) or cls.shorthand is None:
                return value
            return {cls.shorthand: value}
        return raw

    @model_serializer(mode="wrap")
    def _wrap(self, handler):
        fields = handler(self)
        if (
            isinstance(fields, dict)
            and set(fields) == {self.kind}
            and self.kind not in type(self).model_fields
        ):  # a spec that nests layers (residual) comes through here twice
            return fields
        return {self.kind: fields} if fields else self.kind

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema, handler):
        """What the YAML holds: `{kind: fields}`, `{kind: shorthand}` or the bare `kind`."""
        inner = handler(core_schema)
        body = handler.resolve_ref_schema(inner)
        forms = [dict(body)]
        if cls.shorthand is not None:
            forms.append(body["properties"][cls.shorthand])
        if cls.bare_allowed():
            forms.append({"type": "null"})
        wrapped = {
            "type": "object",
            "properties": {cls.kind: forms[0] if len(forms) == 1 else {"anyOf": forms}},
            "required": [cls.kind],
            "additionalProperties": False,
        }
        body.clear()
        body.update(
            {"anyOf": [{"const": cls.kind}, wrapped]} if cls.bare_allowed() else wrapped,
            title=cls.__name__,
        )
        return inner


def _type_tag(raw: Any) -> str | None:
    if isinstance(raw, Spec):
        return raw.kind
    if isinstance(raw, str):
        return raw
    if isinstance(raw, dict):
        tag = raw.get("type")
        return tag if isinstance(tag, str) else None
    return None


def tagged_union(registry: SpecRegistry, tag=_type_tag) -> Any:
    """`Annotated[A | B | ..., Discriminator]` over the registry's specs, tagged by name.

    `tag(raw)` says which name a raw value asks for; a name the registry does not hold is a
    validation error ("unknown ..."), never a fallback to some default component.
    """
    members = tuple(Annotated[spec, Tag(name)] for name, spec in registry.items())
    if not members:
        raise ValueError(f"no {registry.kind} is registered")
    return Annotated[Union[members], Discriminator(tag)]  # noqa: UP007 (built from a tuple)
