"""Typed constructors (`FloatTensor`, `LongTensor`, ...), `Tensor(sizes or data)` and
`Tensor.type()`. Expected values recorded from PyTorch 2.14.1 (CPU)."""

import numpy as np
import pytest
from gradcheck import gradcheck

import gradcli as torch
from gradcli.errors import DeviceError

TYPED = [
    ("FloatTensor", torch.float32),
    ("DoubleTensor", torch.float64),
    ("HalfTensor", torch.float16),
    ("LongTensor", torch.int64),
    ("IntTensor", torch.int32),
    ("ShortTensor", torch.int16),
    ("CharTensor", torch.int8),
    ("ByteTensor", torch.uint8),
    ("BoolTensor", torch.bool),
]


@pytest.mark.parametrize(("name", "dtype"), TYPED)
def test_typed_constructor_from_data_sizes_and_nothing(name, dtype):
    T = getattr(torch, name)
    assert T.dtype == dtype and T.__name__ == name
    data = T([1, 0, 2])
    assert type(data) is torch.Tensor and data.dtype == dtype
    assert data.tolist() == ([True, False, True] if dtype == torch.bool else [1, 0, 2])
    sized = T(2, 3)
    assert sized.shape == (2, 3) and sized.dtype == dtype
    assert T(torch.Size([2, 3])).shape == (2, 3)
    empty = T()
    assert empty.shape == (0,) and empty.dtype == dtype
    assert isinstance(data, T) and data.type() == f"torch.{name}"
    others = [n for n, _ in TYPED if n != name]
    assert not any(isinstance(data, getattr(torch, n)) for n in others)


def test_typed_constructor_values_match_torch():
    assert torch.FloatTensor([1.5, 2.7]).tolist() == pytest.approx([1.5, 2.7])
    assert torch.LongTensor([1.5, -2.7]).tolist() == [1, -2]  # truncates toward zero
    assert torch.ByteTensor([1, 255, 3]).tolist() == [1, 255, 3]
    assert torch.BoolTensor([1, 0, 3]).tolist() == [True, False, True]
    assert torch.FloatTensor((2, 3)).tolist() == [2.0, 3.0]  # a tuple is data, a Size is sizes
    assert torch.FloatTensor([[1, 2], [3, 4]]).shape == (2, 2)
    assert torch.FloatTensor(np.array(3.0)).shape == ()
    assert torch.FloatTensor(3).shape == (3,)
    assert torch.Tensor(0).shape == (0,) and torch.Tensor(2, 0).shape == (2, 0)


def test_typed_constructor_errors():
    with pytest.raises(TypeError, match="expected a float32 tensor, got gradcli.int64"):
        torch.FloatTensor(torch.tensor([1, 2]))
    with pytest.raises(TypeError, match="sizes .ints. or one sequence"):
        torch.FloatTensor(2.5)
    with pytest.raises(TypeError, match="sizes .ints. or one sequence"):
        torch.Tensor([1, 2], 3)
    with pytest.raises(TypeError, match=r"got \(str\)"):
        torch.FloatTensor("ab")
    with pytest.raises(TypeError, match="cannot build a tensor from <U1 data"):
        torch.FloatTensor(["a"])
    with pytest.raises(ValueError, match="negative size"):
        torch.FloatTensor(-1)
    with pytest.raises(TypeError, match="dtype"):
        torch.FloatTensor([1, 2], dtype=torch.float64)  # as in PyTorch: no dtype= here
    with pytest.raises(DeviceError, match="makes cpu tensors.*gradcli.cuda.FloatTensor"):
        torch.FloatTensor(2, device="cuda")
    assert torch.FloatTensor(2, 3, device="cpu").shape == (2, 3)


def test_tensor_constructor_is_torchs_legacy_one():
    assert torch.Tensor(2, 3).shape == (2, 3) and torch.Tensor(2, 3).dtype == torch.float32
    assert torch.Tensor([1, 2]).dtype == torch.float32
    assert torch.Tensor([True, False]).tolist() == [1.0, 0.0]
    assert torch.Tensor().shape == (0,)
    assert torch.Tensor((2, 3)).tolist() == [2.0, 3.0]
    assert torch.Tensor(np.array([1, 2])).dtype == torch.float32
    assert torch.Tensor(torch.tensor([1, 2])).dtype == torch.int64  # a tensor keeps its dtype
    assert torch.Tensor(torch.tensor(3)).shape == ()
    with pytest.raises(TypeError, match="numpy.float64|float64"):
        torch.Tensor(np.float64(2.5))
    with pytest.raises(TypeError, match="requires_grad"):
        torch.Tensor(2, requires_grad=True)
    torch.set_default_dtype(torch.float64)
    try:
        assert torch.Tensor([1]).dtype == torch.float64
    finally:
        torch.set_default_dtype(torch.float32)


def test_constructors_share_storage_as_torch_does():
    t = torch.tensor([1.0, 2.0])
    for alias in (torch.Tensor(t), torch.FloatTensor(t)):
        assert alias is not t
        alias[0] = 9.0
        assert t[0].item() == 9.0
        assert alias._version == t._version  # one version counter, as for any view
    n = np.array([1.0, 2.0], dtype=np.float32)
    shared = torch.FloatTensor(n)
    n[0] = 9.0
    assert shared.tolist() == [9.0, 2.0]  # same dtype: shared, as in PyTorch
    n64 = np.array([1.0, 2.0])
    copied = torch.Tensor(n64)
    n64[0] = 9.0
    assert copied.tolist() == [1.0, 2.0]  # converted: a copy


def test_tensor_of_a_graph_tensor_stays_in_the_graph():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    alias = torch.Tensor(x)
    assert alias.requires_grad and not alias.is_leaf  # PyTorch: AliasBackward0
    (alias * torch.tensor([3.0, 4.0])).sum().backward()
    assert x.grad.tolist() == [3.0, 4.0]


def test_isinstance_checks_dtype_and_device():
    x = torch.tensor([1.0, 2.0])
    assert isinstance(x, torch.FloatTensor) and not isinstance(x, torch.DoubleTensor)
    assert isinstance(x.double(), torch.DoubleTensor)
    assert isinstance(torch.tensor([1]), torch.LongTensor)
    assert not isinstance(x, torch.cuda.FloatTensor)
    assert not isinstance(np.zeros(2, np.float32), torch.FloatTensor)
    assert not issubclass(torch.FloatTensor, torch.Tensor)  # as in PyTorch
    assert repr(torch.FloatTensor) == "<class 'gradcli.FloatTensor'>"
    assert repr(torch.cuda.LongTensor) == "<class 'gradcli.cuda.LongTensor'>"


@pytest.mark.parametrize(("name", "dtype"), TYPED)
def test_type_names(name, dtype):
    assert torch.zeros(1, dtype=dtype).type() == f"torch.{name}"


def test_type_converts():
    x = torch.tensor([1.0, 2.0])
    for spec in (torch.DoubleTensor, torch.float64, "torch.DoubleTensor", "gradcli.DoubleTensor"):
        y = x.type(spec)
        assert y.dtype == torch.float64 and y.tolist() == [1.0, 2.0]
    assert x.type(torch.LongTensor).tolist() == [1, 2]
    assert x.type("torch.IntTensor").dtype == torch.int32
    assert x.type(dtype=torch.float64).dtype == torch.float64
    for same in (torch.FloatTensor, torch.float32, "torch.FloatTensor"):
        assert x.type(same) is x  # nothing to change: self, as in PyTorch
    with pytest.raises(ValueError, match="invalid type 'float64'"):
        x.type("float64")


def test_type_to_cuda_needs_a_gpu():
    if torch.cuda.is_available():
        assert torch.tensor([1.0]).type("torch.cuda.FloatTensor").type() == (
            "torch.cuda.FloatTensor"
        )
    else:
        with pytest.raises(DeviceError, match="CUDA"):
            torch.tensor([1.0]).type("torch.cuda.FloatTensor")
        with pytest.raises(DeviceError, match="CUDA"):
            torch.cuda.FloatTensor(2)


def test_type_gradient_float64_finite_differences():
    # through float32 and back: the function is exact only to float32, so the step is large
    # (central differences of this quadratic are exact, the rounding error is ~1e-7 / eps)
    x = np.random.default_rng(0).standard_normal((2, 3))
    gradcheck(lambda t: t.type(torch.FloatTensor).type("torch.DoubleTensor") * t, x, eps=1e-2)


def test_type_conversion_gradient_is_cast_back():
    y = torch.tensor([1.0, 2.0], requires_grad=True)
    z = y.type(torch.DoubleTensor)
    assert z.grad_fn.name() == "ToCopyBackward0"
    (z * torch.tensor([3.0, -0.5], dtype=torch.float64)).sum().backward()
    assert y.grad.tolist() == [3.0, -0.5] and y.grad.dtype == torch.float32


def test_new_methods_take_the_tensors_dtype_and_device():
    # every value and dtype below recorded from PyTorch 2.14.1
    x = torch.tensor([1.0, 2.0], dtype=torch.float64)
    i = torch.tensor([1, 2])
    z = x.new_zeros(2, 3)
    assert z.shape == (2, 3) and z.dtype == torch.float64 and not z.any()
    assert x.new_zeros((2, 3)).shape == (2, 3) and x.new_zeros([2]).shape == (2,)
    assert x.new_ones(torch.Size([2, 2])).tolist() == [[1.0, 1.0], [1.0, 1.0]]
    ones = i.new_ones(2)
    assert ones.tolist() == [1, 1] and ones.dtype == torch.int64
    assert x.new_ones(2, dtype=torch.float32).dtype == torch.float32
    assert x.new_full((2,), 7).tolist() == [7.0, 7.0]
    assert i.new_full((2,), 2.5).tolist() == [2, 2]  # cast to the tensor's integer dtype
    empty = x.new_empty(3)
    assert empty.shape == (3,) and empty.dtype == torch.float64
    made = x.new_tensor([1, 2])
    assert made.dtype == torch.float64 and made.tolist() == [1.0, 2.0]
    assert i.new_tensor([1.5, 2]).tolist() == [1, 2]
    assert x.new_tensor([1, 2], requires_grad=True).requires_grad
    assert x.new_zeros(2, requires_grad=True).requires_grad
    with pytest.warns(UserWarning, match="detach"):
        copied = x.new_tensor(i)
    assert copied.dtype == torch.float64
    copied[0] = 5.0
    assert i.tolist() == [1, 2]  # a copy


def test_legacy_new_is_tensor_in_the_same_dtype():
    x = torch.tensor([1.0, 2.0], dtype=torch.float64)
    assert x.new().shape == (0,) and x.new().dtype == torch.float64
    sized = x.new(2, 3)
    assert sized.shape == (2, 3) and sized.dtype == torch.float64
    assert x.new([1, 2]).tolist() == [1.0, 2.0]
    assert torch.tensor([1, 2]).new([1.7, 2]).tolist() == [1, 2]
    assert x.new(x).dtype == torch.float64
    with pytest.raises(TypeError, match="expected a float64 tensor"):
        x.new(torch.tensor([1, 2]))
