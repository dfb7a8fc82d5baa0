"""Neural-network building blocks: Module, Parameter, layers, containers, losses.

>>> import gradcli.nn as nn
>>> import gradcli.nn.functional as F
>>> net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
"""

from gradcli.nn import functional, init, utils
from gradcli.nn._state import IncompatibleKeys, StateDictError
from gradcli.nn.activation import ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from gradcli.nn.attention import MultiheadAttention
from gradcli.nn.containers import ModuleDict, ModuleList, Sequential
from gradcli.nn.conv import Conv1d, Conv2d, ConvTranspose2d
from gradcli.nn.dropout import Dropout
from gradcli.nn.dropout_channel import Dropout2d
from gradcli.nn.embedding import Embedding
from gradcli.nn.graph import Add, Branches, Concat, GlobalAvgPool2d, Graph, Residual
from gradcli.nn.linear import Flatten, Identity, Linear
from gradcli.nn.loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from gradcli.nn.module import Module, RemovableHandle
from gradcli.nn.normalization import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm
from gradcli.nn.parameter import Parameter
from gradcli.nn.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from gradcli.nn.rnn import GRU, LSTM, RNN, RNNBase
from gradcli.nn.rnn_cell import GRUCell, LSTMCell, RNNCell, RNNCellBase
from gradcli.nn.upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d

__all__ = [
    "AdaptiveAvgPool2d", "Add", "AvgPool2d", "Branches", "Concat", "GlobalAvgPool2d", "Graph",
    "Residual", "BCELoss", "BCEWithLogitsLoss", "BatchNorm1d",
    "BatchNorm2d", "Conv2d", "CrossEntropyLoss", "Dropout", "ELU", "Flatten", "GELU",
    "Identity", "IncompatibleKeys", "L1Loss", "LeakyReLU", "Linear", "LogSoftmax", "MSELoss",
    "MaxPool2d", "Module", "ModuleDict", "ModuleList", "NLLLoss", "Parameter", "ReLU",
    "RemovableHandle", "Sequential", "Sigmoid", "SmoothL1Loss", "Softmax", "StateDictError",
    "Tanh", "functional", "init", "utils",
]  # fmt: skip
__all__ += ["Conv1d", "ConvTranspose2d", "Embedding", "GroupNorm", "LayerNorm", "Upsample"]
__all__ += ["UpsamplingBilinear2d", "UpsamplingNearest2d"]
__all__ += ["GRU", "GRUCell", "LSTM", "LSTMCell", "MultiheadAttention", "RNN", "RNNBase"]
__all__ += ["RNNCell", "RNNCellBase"]
__all__ += ["Dropout2d"]
