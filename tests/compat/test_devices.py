"""Device questions scripts ask (`torch.accelerator`, `torch.backends.*`, `torch.cuda`), default
device and dtype. On a machine without CuPy or a GPU every answer must say so; where a GPU is
usable the `gpu`-marked tests check the CUDA answers."""

import pytest

import gradcli as torch
from gradcli import backend
from gradcli.errors import DeviceError

needs_no_gpu = pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA GPU is usable here")


@needs_no_gpu
def test_cpu_only_answers():
    assert torch.cuda.is_available() is False and torch.cuda.device_count() == 0
    assert torch.accelerator.is_available() is False
    assert torch.accelerator.current_accelerator() is None
    assert torch.accelerator.current_accelerator(check_available=True) is None
    assert torch.accelerator.device_count() == 0
    with pytest.raises(DeviceError, match="no accelerator"):
        torch.accelerator.current_device_index()
    torch.accelerator.synchronize()  # nothing queued: returns
    torch.cuda.synchronize()
    torch.cuda.empty_cache()
    with pytest.raises(DeviceError, match="CUDA device requested"):
        torch.cuda.current_device()
    with pytest.raises(DeviceError, match="CUDA device requested"):
        torch.set_default_device("cuda")
    assert torch.get_default_device() == torch.device("cpu")  # unchanged by the failure


def test_the_tutorial_device_line_gives_a_usable_device():
    # pytorch/examples' mnist: device = torch.accelerator.current_accelerator() if ... else cpu
    use_accel = torch.accelerator.is_available()
    device = torch.accelerator.current_accelerator() if use_accel else torch.device("cpu")
    x = torch.ones(2, device=device)
    assert x.device == device and (x * 2).sum().item() == 4.0


def test_backends_answer_and_accept_settings():
    assert torch.backends.mps.is_available() is False and torch.backends.mps.is_built() is False
    cudnn = torch.backends.cudnn
    assert cudnn.is_available() is False and cudnn.version() is None
    assert cudnn.enabled is True
    assert (cudnn.benchmark, cudnn.deterministic) == (False, False)  # PyTorch's defaults
    try:
        cudnn.benchmark = True
        cudnn.deterministic = True
        torch.backends.cuda.matmul.allow_tf32 = True
    finally:
        cudnn.benchmark = cudnn.deterministic = False
        torch.backends.cuda.matmul.allow_tf32 = False
    assert torch.backends.cuda.is_built() == backend.cupy_installed()
    import gradcli.backends.cudnn as imported  # `import torch.backends.cudnn as cudnn`

    assert imported is cudnn


def test_cuda_seeding_is_accepted():
    torch.cuda.manual_seed(0)
    torch.cuda.manual_seed_all(0)
    torch.manual_seed(3)
    a = torch.randn(3)
    torch.manual_seed(3)
    torch.cuda.manual_seed_all(123)  # gradcli has one generator: this must not disturb it
    assert torch.equal(a, torch.randn(3))


def test_default_dtype():
    assert torch.get_default_dtype() == torch.float32
    torch.set_default_dtype(torch.float64)
    try:
        assert torch.get_default_dtype() == torch.float64
        # recorded from PyTorch 2.14.1 under set_default_dtype(torch.float64)
        assert torch.tensor([1.0]).dtype == torch.float64
        assert torch.Tensor([1]).dtype == torch.float64
        assert torch.zeros(1).dtype == torch.float64
        assert torch.arange(3.0).dtype == torch.float64
        assert torch.tensor([1]).dtype == torch.int64
        assert repr(torch.tensor([1.5])) == "tensor([1.5000])"
        assert repr(torch.tensor([1.5], dtype=torch.float32)) == (
            "tensor([1.5000], dtype=gradcli.float32)"
        )
        torch.set_default_dtype(torch.float16)
        assert torch.get_default_dtype() == torch.float16
    finally:
        torch.set_default_dtype(torch.float32)
    with pytest.raises(TypeError, match="only floating point dtypes"):
        torch.set_default_dtype(torch.int64)
    assert torch.get_default_dtype() == torch.float32


def test_default_device_cpu():
    assert torch.get_default_device() == torch.device("cpu")
    for spec in ("cpu", None, torch.device("cpu")):
        torch.set_default_device(spec)
        assert torch.get_default_device() == torch.device("cpu")
    with pytest.raises(DeviceError, match="unknown device 'meta'"):
        torch.set_default_device("meta")


@pytest.mark.gpu
def test_gpu_answers_and_default_device():
    assert torch.accelerator.is_available() and torch.accelerator.device_count() >= 1
    assert torch.accelerator.current_accelerator() == torch.device("cuda", 0)
    assert torch.accelerator.current_device_index() == 0 == torch.cuda.current_device()
    assert isinstance(torch.cuda.get_device_name(), str) and torch.cuda.get_device_name(0)
    torch.cuda.synchronize()
    torch.cuda.empty_cache()
    torch.set_default_device("cuda")
    try:
        assert torch.get_default_device() == torch.device("cuda", 0)
        for made in (torch.zeros(2), torch.tensor([1.0]), torch.Tensor(2), torch.randn(2)):
            assert made.device == torch.device("cuda", 0)
        layer = torch.nn.Linear(3, 2)
        assert layer.weight.device == torch.device("cuda", 0)
        assert torch.zeros(2, device="cpu").device == torch.device("cpu")
    finally:
        torch.set_default_device(None)
    x = torch.cuda.FloatTensor([1, 2])
    assert isinstance(x, torch.cuda.FloatTensor) and not isinstance(x, torch.FloatTensor)
    assert x.type() == "torch.cuda.FloatTensor" and x.type(torch.FloatTensor).device.type == "cpu"
    assert torch.tensor([1.0]).type("torch.cuda.DoubleTensor").type() == "torch.cuda.DoubleTensor"


def test_set_default_tensor_type_sets_dtype_and_device():
    with pytest.warns(UserWarning, match="deprecated"):
        torch.set_default_tensor_type(torch.DoubleTensor)
    try:
        assert torch.zeros(1).dtype == torch.float64 == torch.get_default_dtype()
        assert torch.get_default_device() == torch.device("cpu")
        with pytest.warns(UserWarning):
            torch.set_default_tensor_type("torch.FloatTensor")
        assert torch.zeros(1).dtype == torch.float32
        # recorded from PyTorch 2.14.1: both refused with a TypeError
        with pytest.warns(UserWarning), pytest.raises(TypeError, match="floating point types"):
            torch.set_default_tensor_type(torch.LongTensor)
        with pytest.warns(UserWarning), pytest.raises(TypeError, match="set_default_dtype"):
            torch.set_default_tensor_type(torch.float64)
        assert torch.get_default_dtype() == torch.float32
    finally:
        torch.set_default_dtype(torch.float32)
    assert torch.is_floating_point(torch.zeros(1)) and not torch.is_floating_point(
        torch.ones(1).long()
    )


@needs_no_gpu
def test_set_default_tensor_type_cuda_without_gpu_changes_nothing():
    with pytest.warns(UserWarning), pytest.raises(DeviceError):
        torch.set_default_tensor_type(torch.cuda.DoubleTensor)
    assert torch.get_default_dtype() == torch.float32
    assert torch.get_default_device() == torch.device("cpu")


def test_float32_matmul_precision_is_recorded():
    assert torch.get_float32_matmul_precision() == "highest"  # PyTorch's default
    try:
        torch.set_float32_matmul_precision("high")
        assert torch.get_float32_matmul_precision() == "high"
        assert torch.backends.cuda.matmul.allow_tf32 is True  # as PyTorch 2.14.1 sets it
        with pytest.warns(UserWarning, match="'low' is not one of"):
            torch.set_float32_matmul_precision("low")
        assert torch.get_float32_matmul_precision() == "high"
    finally:
        torch.set_float32_matmul_precision("highest")
    assert torch.backends.cuda.matmul.allow_tf32 is False
