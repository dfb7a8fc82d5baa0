"""Data layer: datasets, transforms, the DataLoader and dataset downloads.

Everything here works on numpy arrays; Tensors appear only at the edges (a batch from
`DataLoader.__iter__`, an item of `TensorDataset`, `default_collate`). Of gradcli itself, data
imports only the leaf modules `errors`, `registry` and `backend` (which import nothing else of
gradcli); the engine is imported lazily at those edges, so the engine never depends on data.
This package is also `gradcli.utils.data`, PyTorch's `torch.utils.data`.

>>> from gradcli.data import load_dataset, TensorDataset, DataLoader, build_transforms
>>> x, y, info = load_dataset("mnist", split="train")
>>> x, y = build_transforms(["scale", "flatten"])(x, y)
>>> loader = DataLoader(TensorDataset(x, y), batch_size=128, shuffle=True, seed=0)
"""

from .augment import AUGMENTS, Augment, Augmentation, build_augment
from .collate import default_collate, default_convert
from .datasets import (
    ConcatDataset,
    Dataset,
    Subset,
    TensorDataset,
    random_split,
    split_indices,
)
from .download import DatasetStatus, FileStatus, dataset_status, download, download_file
from .errors import DataError
from .info import DatasetInfo, LoadedData
from .loader import DataLoader
from .paths import ENV_VAR, data_root, resolve_root
from .pipeline import DataSplits, build_datasets
from .prefetch import WorkerInfo, get_worker_info
from .registry import DATASETS, dataset_options, load_dataset
from .samplers import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)
from .sources import SOURCES
from .transforms import TRANSFORMS, Pipeline, Transform, build_transforms

__all__ = [
    "AUGMENTS",
    "DATASETS",
    "ENV_VAR",
    "SOURCES",
    "TRANSFORMS",
    "Augment",
    "Augmentation",
    "BatchSampler",
    "ConcatDataset",
    "DataError",
    "DataLoader",
    "DataSplits",
    "Dataset",
    "DatasetInfo",
    "DatasetStatus",
    "FileStatus",
    "LoadedData",
    "Pipeline",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "Subset",
    "TensorDataset",
    "SubsetRandomSampler",
    "Transform",
    "WeightedRandomSampler",
    "WorkerInfo",
    "build_augment",
    "build_datasets",
    "build_transforms",
    "data_root",
    "default_collate",
    "default_convert",
    "dataset_options",
    "dataset_status",
    "download",
    "download_file",
    "get_worker_info",
    "load_dataset",
    "random_split",
    "resolve_root",
    "split_indices",
]
