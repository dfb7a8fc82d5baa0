"""Losses in the YAML (`loss: cross_entropy`, `loss: {type: mse, reduction: sum}`): each spec
holds its fields, its name and how to build the module. A loss also says what targets it takes,
so the checks before training and inspect-graph ask the loss rather than test names.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

import gradcli
from gradcli import nn
from gradcli.config.spec import SpecRegistry, Typed, tagged_union


class LossSpec(Typed):
    """`class_targets`: the targets are int64 class indices (N, d1, ...) for logits
    (N, C, d1, ...), and the model's last layer must have one output per class;
    `probability_targets`: such a loss also takes per-class probabilities (one-hot rows) of the
    output's shape. Otherwise the targets have the output's shape and dtype."""

    class_targets: ClassVar[bool] = False
    probability_targets: ClassVar[bool] = False

    def build(self, device=None) -> nn.Module:
        raise NotImplementedError

    def check_options(self, info) -> str | None:
        """Why this loss's options do not fit the dataset (`info`, a DatasetInfo), or None."""
        return None

    def check(self, out_shape: tuple[int, ...], info) -> str | None:
        """Why the model's output for one sample does not fit the dataset's targets under this
        loss, or None. Both checks run before training."""
        name, targets = info.name, list(info.target_shape)
        if self.class_targets and not targets:
            n = info.num_classes
            if n and out_shape != (n,):
                return (
                    f"the model outputs shape {list(out_shape)} but dataset '{name}' has {n} "
                    f"classes; make the last layer `- linear: {n}`"
                )
            return None
        if list(out_shape) == targets:
            return None
        if info.num_classes and not targets:
            indices = [k for k, spec in LOSSES.items() if spec.class_targets]
            return (
                f"loss '{self.kind}' compares the model's output {list(out_shape)} with targets "
                f"of the same shape, but dataset '{name}' has class labels; use a class-index "
                f"loss ({', '.join(indices)}), or add `one_hot` to data.transforms"
            )
        fix = f"; make the last layer `- linear: {targets[0]}`" if len(targets) == 1 else ""
        return (
            f"the model outputs shape {list(out_shape)} but dataset '{name}' has targets of "
            f"shape {targets}{fix}"
        )


LOSSES = SpecRegistry("loss", LossSpec)


def any_loss():
    return tagged_union(LOSSES)


def _weight(weight: list[float] | None, device):
    return gradcli.tensor(weight, device=device) if weight is not None else None


class _ClassLoss(LossSpec):
    class_targets = True
    ignore_index: int = -100
    weight: list[float] | None = Field(None, description="Per-class weights.")

    def check_options(self, info):
        if info.target_shape and not self.probability_targets:
            takes = [k for k, spec in LOSSES.items() if spec.probability_targets]
            return (
                f"loss '{self.kind}' takes class indices, but dataset '{info.name}' has targets "
                f"of shape {list(info.target_shape)} (one-hot rows?); remove the one_hot "
                f"transform, or use a loss that takes class probabilities ({', '.join(takes)})"
            )
        n = info.num_classes
        if self.weight is not None and n and len(self.weight) != n:
            return (
                f"loss.weight has {len(self.weight)} values but dataset '{info.name}' has {n} "
                "classes; give one weight per class"
            )
        return None


@LOSSES.register("cross_entropy")
class CrossEntropy(_ClassLoss):
    probability_targets = True
    label_smoothing: float = Field(0.0, ge=0.0, le=1.0)

    def build(self, device=None):
        return nn.CrossEntropyLoss(
            _weight(self.weight, device), ignore_index=self.ignore_index,
            label_smoothing=self.label_smoothing,
        )  # fmt: skip


@LOSSES.register("nll")
class NLL(_ClassLoss):
    def build(self, device=None):
        return nn.NLLLoss(_weight(self.weight, device), ignore_index=self.ignore_index)


@LOSSES.register("mse")
class MSE(LossSpec):
    reduction: Literal["mean", "sum"] = "mean"

    def build(self, device=None):
        return nn.MSELoss(reduction=self.reduction)


@LOSSES.register("l1")
class L1(LossSpec):
    reduction: Literal["mean", "sum"] = "mean"

    def build(self, device=None):
        return nn.L1Loss(reduction=self.reduction)


@LOSSES.register("smooth_l1")
class SmoothL1(LossSpec):
    beta: float = Field(1.0, ge=0.0)

    def build(self, device=None):
        return nn.SmoothL1Loss(beta=self.beta)


@LOSSES.register("bce_with_logits")
class BCEWithLogits(LossSpec):
    def build(self, device=None):
        return nn.BCEWithLogitsLoss()


@LOSSES.register("bce")
class BCE(LossSpec):
    def build(self, device=None):
        return nn.BCELoss()
