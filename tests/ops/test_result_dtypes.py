"""Result dtypes of the A2 ops for every input dtype, as PyTorch 2.14.1 gives them (a refused
input is refused by gradcli too). Recorded with the same calls in PyTorch."""

import pytest

import gradcli

DTYPES = {"f32": gradcli.float32, "f64": gradcli.float64, "i32": gradcli.int32,
          "i64": gradcli.int64, "u8": gradcli.uint8, "b": gradcli.bool}  # fmt: skip

OPS = {
    "norm": lambda x: x.norm(),
    "cumsum": lambda x: x.cumsum(0),
    "cumprod": lambda x: x.cumprod(0),
    "sort": lambda x: x.sort().values,
    "sorti": lambda x: x.sort().indices,
    "topk": lambda x: x.topk(1).values,
    "argsort": lambda x: x.argsort(),
    "split": lambda x: x.split(1)[0],
    "repeat": lambda x: x.repeat(2),
    "tril": lambda x: x.reshape(1, -1).tril(),
    "masked_fill_int": lambda x: x.masked_fill(gradcli.tensor([True, False, True]), 1),
    "masked_fill_float": lambda x: x.masked_fill(gradcli.tensor([True, False, True]), 1.5),
    "div_trunc_int": lambda x: x.div(2, rounding_mode="trunc"),
    "div_floor_float": lambda x: x.div(2.5, rounding_mode="floor"),
    "floordiv": lambda x: x // 2,
    "fmod_int": lambda x: x.fmod(2),
    "fmod_float": lambda x: gradcli.fmod(x, 2.5),
    "rem": lambda x: x % 2,
    "rem_t_f64": lambda x: x % gradcli.tensor([2.0, 2.0, 2.0], dtype=gradcli.float64),
    "rem_0d_f64": lambda x: x % gradcli.tensor(2.0, dtype=gradcli.float64),
    "copysign": lambda x: x.copysign(-1),
    "copysign_t": lambda x: x.copysign(gradcli.tensor([-1, 1, 1])),
    "isclose": lambda x: x.isclose(x),
    "einsum": lambda x: gradcli.einsum("i,i->", x, x),
    "multinomial": lambda x: gradcli.multinomial(x, 1),
    "sum_axis": lambda x: x.sum(axis=0),
    "pow_t": lambda x: x ** gradcli.tensor([1, 2, 3]),
    "rpow": lambda x: 2 ** x,
    "rpow_f": lambda x: 2.5 ** x,
}  # fmt: skip

# op -> result dtype for inputs f32 f64 i32 i64 u8 bool ('-': refused, '?': PyTorch refuses,
# gradcli accepts)
TORCH = {
    "norm": "float32 float64 - - - -",
    "cumsum": "float32 float64 int64 int64 int64 int64",
    "cumprod": "float32 float64 int64 int64 int64 int64",
    "sort": "float32 float64 int32 int64 uint8 bool",
    "sorti": "int64 int64 int64 int64 int64 int64",
    "topk": "float32 float64 int32 int64 uint8 ?",
    "argsort": "int64 int64 int64 int64 int64 int64",
    "split": "float32 float64 int32 int64 uint8 bool",
    "repeat": "float32 float64 int32 int64 uint8 bool",
    "tril": "float32 float64 int32 int64 uint8 bool",
    "masked_fill_int": "float32 float64 int32 int64 uint8 bool",
    "masked_fill_float": "float32 float64 int32 int64 uint8 bool",
    "div_trunc_int": "float32 float64 int32 int64 uint8 int64",
    "div_floor_float": "float32 float64 float32 float32 float32 float32",
    "floordiv": "float32 float64 int32 int64 uint8 int64",
    "fmod_int": "float32 float64 int32 int64 uint8 int64",
    "fmod_float": "float32 float64 float32 float32 float32 float32",
    "rem": "float32 float64 int32 int64 uint8 int64",
    "rem_t_f64": "float64 float64 float64 float64 float64 float64",
    "rem_0d_f64": "float32 float64 float64 float64 float64 float64",
    "copysign": "float32 float64 float32 float32 float32 float32",
    "copysign_t": "float32 float64 float32 float32 float32 float32",
    "isclose": "bool bool bool bool bool bool",
    "einsum": "float32 float64 int32 int64 uint8 ?",
    "multinomial": "int64 int64 - - - -",
    "sum_axis": "float32 float64 int64 int64 int64 int64",
    "pow_t": "float32 float64 int64 int64 int64 int64",
    "rpow": "float32 float64 int32 int64 uint8 int64",
    "rpow_f": "float32 float64 float32 float32 float32 float32",
}


@pytest.mark.parametrize("op", list(TORCH))
@pytest.mark.parametrize("i,dt", list(enumerate(DTYPES)))
def test_result_dtype_matches_torch(op, i, dt):
    want = TORCH[op].split()[i]
    if want == "?":
        pytest.skip("PyTorch refuses it, gradcli accepts it")
    x = gradcli.tensor([1, 0, 1] if dt == "b" else [3, 1, 2], dtype=DTYPES[dt])
    if want == "-":
        with pytest.raises((TypeError, ValueError, RuntimeError)):
            OPS[op](x)
    else:
        assert OPS[op](x).dtype.name == want
