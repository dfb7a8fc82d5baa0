"""Data-parallel training: the parts of the Trainer that run when several ranks share a run.

Each rank takes its slice of every global batch; gradients, the loss and accuracy, stop
requests and early stopping are summed over the ranks, so every rank takes the same step and
stops at the same one. With one process none of this runs (`Trainer._sync` is None).
"""

from __future__ import annotations

import math
import signal

import gradcli
from gradcli.errors import ConfigError

STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class DataParallel:
    """Mixed into the Trainer; uses its model, loss, optimizer, loader, world and state."""

    def _share(self, world):
        """Set the run up to train on `world.size` ranks (data parallel)."""
        from gradcli.distributed.sync import GradientSync
        from gradcli.distributed.sync_batchnorm import convert_sync_batchnorm

        batch, where = self.config.data.batch_size, self.config.where("data", "batch_size")
        if batch < world.size:
            raise ConfigError(
                f"{where}: data.batch_size {batch} is the global batch and must be at least "
                f"the number of processes ({world.size}); raise it or start fewer processes"
            )
        if self.config.distributed.sync_batchnorm:
            last = len(self.train_loader.dataset) % batch
            if 0 < last < world.size:  # a rank with no rows would miss the statistics' sums
                raise ConfigError(
                    f"{where}: with sync_batchnorm, the last batch of an epoch ({last} rows) "
                    f"must give each of the {world.size} processes a row; change "
                    "data.batch_size or the number of processes"
                )
            convert_sync_batchnorm(self.model, world)
        return GradientSync(world, self.model.parameters(), self.config.distributed.bucket_mb)

    def _shared_step(self, x, y):
        """One rank's part of a step: its slice of the global batch, then the gradients,
        loss, accuracy and stop requests of all ranks, summed, before the same update."""
        total = x.shape[0]
        rows = self.world.shard(total)
        x, y = x[rows], y[rows]
        self._sync.zero()
        # mean losses: weighting rank k's by its share n_k / N sums to the global batch's mean
        mean = getattr(self.loss_fn, "reduction", "mean") == "mean"
        weight = x.shape[0] / total if mean else 1.0
        loss = correct = 0.0
        if x.shape[0]:  # a short last batch can leave a rank nothing
            out = self.model(x)
            value = self.loss_fn(out, y)
            # weighted before backward, not after: layers that sum over ranks in backward
            # (sync batchnorm) then add up gradients of the one global loss
            value.backward(gradcli.tensor(weight, dtype=value.dtype, device=value.device))
            loss, correct = float(value.item()), float(self._correct(out, y) or 0)
        self._sync.reduce()
        asked = [float(self._signal == s) for s in STOP_SIGNALS]
        totals = self.world.allreduce_host([loss * weight, correct, *asked])
        self._agree_stop(totals[2:])
        loss = float(totals[0])
        if not math.isfinite(loss):
            self._non_finite(x, y, f"loss is {loss}")
        self._clip_gradients(x, y)
        self.optimizer.step()
        return loss, int(totals[1]) if self.num_classes else None

    def _agree_stop(self, asked) -> None:
        """Stop when any rank was asked to (all ranks stop at the same step)."""
        for signum, count in zip(STOP_SIGNALS, asked):
            if count > 0:
                self._stop_signal = signum
                return

    def _agree_at_epoch_end(self) -> None:
        """Rank 0's early stopping (its callbacks decide) and any rank's signal, for all."""
        asked = [float(self._signal == s) for s in STOP_SIGNALS]
        totals = self.world.allreduce_host([*asked, float(self.state.stopped_early)])
        self._agree_stop(totals[:-1])
        self.state.stopped_early = bool(totals[-1])
