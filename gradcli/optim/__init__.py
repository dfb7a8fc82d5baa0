"""Optimizers and learning-rate schedules with PyTorch's names, options and update rules.

>>> import gradcli.optim as optim
>>> opt = optim.Adam(model.parameters(), lr=1e-3)
>>> sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=100)
"""

from gradcli.optim import lr_scheduler
from gradcli.optim.adadelta import Adadelta, adadelta_update
from gradcli.optim.adagrad import Adagrad, adagrad_update
from gradcli.optim.adam import Adam, AdamW, adam_update
from gradcli.optim.optimizer import Optimizer, OptimizerError, required
from gradcli.optim.rmsprop import RMSprop, rmsprop_update
from gradcli.optim.sgd import SGD, sgd_update

__all__ = [
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Optimizer",
    "OptimizerError",
    "RMSprop",
    "adadelta_update",
    "adagrad_update",
    "adam_update",
    "lr_scheduler",
    "required",
    "rmsprop_update",
    "sgd_update",
]
