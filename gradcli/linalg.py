"""`gradcli.linalg`, as `torch.linalg`: the norms (vector_norm, matrix_norm, norm).

>>> gradcli.linalg.vector_norm(gradcli.tensor([3.0, 4.0]))
tensor(5.)
"""

from gradcli.ops.norms import linalg_norm as norm
from gradcli.ops.norms import matrix_norm, vector_norm

__all__ = ["matrix_norm", "norm", "vector_norm"]
