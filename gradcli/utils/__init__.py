"""`gradcli.utils`, PyTorch's `torch.utils` namespace: `gradcli.utils.data` IS `gradcli.data`.

One module under two names (not a copy), so `from torch.utils.data import DataLoader` in a
PyTorch script and gradcli's own trainer use the same classes.
"""

import sys

from gradcli import data

sys.modules[__name__ + ".data"] = data  # `import gradcli.utils.data` finds this entry

__all__ = ["data"]
