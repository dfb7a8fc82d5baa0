"""Which numpy names CuPy's top-level namespace also has, and the parameters of its functions
and ndarray methods, read from CuPy's source (cupy/cupy main, 2026-08): the stand-in offers
these and no others, so code that calls a numpy function (or keyword) CuPy lacks fails here
as it would on a GPU."""

# Every public name of `cupy` that numpy also has.
CUPY_NAMES = """
    abs absolute acos acosh add all allclose amax amin angle any append apply_along_axis
    apply_over_axes arange arccos arccosh arcsin arcsinh arctan arctan2 arctanh argmax argmin
    argpartition argsort argwhere around array array2string array_equal array_equiv array_repr
    array_split array_str asanyarray asarray asarray_chkfinite ascontiguousarray asfortranarray
    asin asinh astype atan atan2 atanh atleast_1d atleast_2d atleast_3d average bartlett
    base_repr binary_repr bincount bitwise_and bitwise_count bitwise_invert bitwise_left_shift
    bitwise_not bitwise_or bitwise_right_shift bitwise_xor blackman bool bool_ broadcast
    broadcast_arrays broadcast_shapes broadcast_to byte c_ can_cast cbrt cdouble ceil choose
    clip column_stack common_type complex128 complex64 complexfloating compress concat
    concatenate conj conjugate convolve copy copysign copyto corrcoef correlate cos cosh
    count_nonzero cov cross csingle cumprod cumsum cumulative_prod cumulative_sum deg2rad
    degrees delete diag diag_indices diag_indices_from diagflat diagonal diff digitize divide
    divmod dot double dsplit dstack dtype e ediff1d einsum empty empty_like equal euler_gamma
    exceptions exp exp2 expand_dims expm1 extract eye fabs fft fill_diagonal finfo fix flatiter
    flatnonzero flip fliplr flipud float16 float32 float64 float_power floating floor
    floor_divide fmax fmin fmod format_float_positional format_float_scientific frexp
    from_dlpack frombuffer fromfile fromfunction fromiter fromstring full full_like gcd generic
    genfromtxt get_printoptions gradient greater greater_equal half hamming hanning heaviside
    histogram histogram2d histogramdd hsplit hstack hypot i0 identity iinfo imag index_exp
    indices inexact inf inner int16 int32 int64 int8 int_ intc integer interp intersect1d intp
    invert isclose iscomplex iscomplexobj isdtype isfinite isfortran isin isinf isnan isneginf
    isposinf isreal isrealobj isscalar issubdtype iterable ix_ kaiser kron lcm ldexp left_shift
    less less_equal lexsort linalg linspace load loadtxt log log10 log1p log2 logaddexp
    logaddexp2 logical_and logical_not logical_or logical_xor logspace long longlong
    mask_indices matmul matrix_transpose max maximum may_share_memory mean median meshgrid mgrid
    min min_scalar_type minimum mintypecode mod modf moveaxis multiply nan nan_to_num nanargmax
    nanargmin nancumprod nancumsum nanmax nanmean nanmedian nanmin nanprod nanstd nansum nanvar
    ndarray ndim ndindex negative newaxis nextafter nonzero not_equal number ogrid ones
    ones_like outer packbits pad partition percentile permute_dims pi piecewise place poly
    poly1d polyadd polyfit polymul polynomial polysub polyval positive pow power printoptions
    prod promote_types ptp put put_along_axis putmask quantile r_ rad2deg radians random ravel
    ravel_multi_index real real_if_close reciprocal remainder repeat require reshape resize
    result_type right_shift rint roll rollaxis roots rot90 round row_stack s_ save savetxt savez
    savez_compressed searchsorted select set_printoptions setdiff1d setxor1d shape shares_memory
    short show_config sign signbit signedinteger sin sinc single sinh size sort sort_complex
    split sqrt square squeeze stack std subtract sum swapaxes take take_along_axis tan tanh
    tensordot testing tile trace transpose trapezoid tri tril tril_indices tril_indices_from
    trim_zeros triu triu_indices triu_indices_from true_divide trunc typename ubyte ufunc uint
    uint16 uint32 uint64 uint8 uintc uintp ulong ulonglong union1d unique unique_all
    unique_counts unique_inverse unique_values unpackbits unravel_index unsignedinteger unwrap
    ushort vander var vdot vectorize vsplit vstack where zeros zeros_like
""".split()

# The ones CuPy takes from numpy itself (dtypes, constants, dtype helpers): used unchanged.
FROM_NUMPY = """
    DataSource bool bool_ broadcast_shapes byte cdouble cfloat complex128 complex64 complex_
    complexfloating csingle disp double dtype e euler_gamma find_common_type finfo float16
    float32 float64 float_ floating format_parser generic get_array_wrap get_printoptions half
    iinfo index_exp inexact inf int16 int32 int64 int8 int_ intc integer intp isdtype issubdtype
    iterable long longlong mintypecode nan ndindex newaxis number pi printoptions promote_types
    s_ safe_eval set_printoptions set_string_function short signedinteger single singlecomplex
    typename ubyte uint uint16 uint32 uint64 uint8 uintc uintp ulong ulonglong unsignedinteger
    ushort
""".split()

# Parameters of CuPy's functions (from its source; '*': takes *args, '**': takes **kwargs):
# a keyword CuPy's function lacks is a TypeError here too.
SIGNATURES = {
    "all": "a axis out keepdims",
    "allclose": "a b rtol atol equal_nan",
    "amax": "a axis out keepdims",
    "amin": "a axis out keepdims",
    "angle": "z deg",
    "any": "a axis out keepdims",
    "append": "arr values axis",
    "apply_along_axis": "func1d axis arr * **",
    "apply_over_axes": "func a axes",
    "arange": "start stop step dtype",
    "argmax": "a axis dtype out keepdims",
    "argmin": "a axis dtype out keepdims",
    "argpartition": "a kth axis",
    "argsort": "a axis kind",
    "argwhere": "a",
    "around": "a decimals out",
    "array": "obj dtype copy order subok ndmin blocking",
    "array2string": "a * **",
    "array_equal": "a1 a2 equal_nan",
    "array_equiv": "a1 a2",
    "array_repr": "arr max_line_width precision suppress_small",
    "array_split": "ary indices_or_sections axis",
    "array_str": "arr max_line_width precision suppress_small",
    "asanyarray": "a dtype order copy blocking",
    "asarray": "a dtype order copy blocking",
    "asarray_chkfinite": "a dtype order",
    "ascontiguousarray": "a dtype",
    "asfortranarray": "a dtype",
    "astype": "x dtype copy",
    "atleast_1d": "*",
    "atleast_2d": "*",
    "atleast_3d": "*",
    "average": "a axis weights returned keepdims",
    "bartlett": "M",
    "bincount": "x weights minlength",
    "blackman": "M",
    "broadcast_arrays": "*",
    "broadcast_to": "array shape",
    "choose": "a choices out mode",
    "clip": "a a_min a_max out",
    "column_stack": "tup",
    "compress": "condition a axis out",
    "concatenate": "tup axis out dtype casting",
    "convolve": "a v mode",
    "copy": "a order",
    "copyto": "dst src casting where",
    "corrcoef": "a y rowvar bias ddof dtype",
    "correlate": "a v mode",
    "count_nonzero": "a axis",
    "cov": "a y rowvar bias ddof fweights aweights dtype",
    "cross": "a b axisa axisb axisc axis",
    "cumprod": "a axis dtype out",
    "cumsum": "a axis dtype out",
    "cumulative_prod": "x axis dtype out include_initial",
    "cumulative_sum": "x axis dtype out include_initial",
    "delete": "arr indices axis",
    "diag": "v k",
    "diag_indices": "n ndim",
    "diag_indices_from": "arr",
    "diagflat": "v k",
    "diagonal": "a offset axis1 axis2",
    "diff": "a n axis prepend append",
    "digitize": "x bins right",
    "dot": "a b out",
    "dsplit": "ary indices_or_sections",
    "dstack": "tup",
    "ediff1d": "arr to_end to_begin",
    "einsum": "* **",
    "empty": "shape dtype order",
    "empty_like": "prototype dtype order subok shape",
    "expand_dims": "a axis",
    "extract": "condition a",
    "eye": "N M k dtype order",
    "fill_diagonal": "a val wrap",
    "flatnonzero": "a",
    "flip": "a axis",
    "fliplr": "a",
    "flipud": "a",
    "format_float_positional": "x * **",
    "format_float_scientific": "x * **",
    "frombuffer": "* **",
    "fromfile": "* **",
    "fromfunction": "* **",
    "fromiter": "* **",
    "fromstring": "* **",
    "full": "shape fill_value dtype order",
    "full_like": "a fill_value dtype order subok shape",
    "genfromtxt": "* **",
    "gradient": "f axis edge_order *",
    "hamming": "M",
    "hanning": "M",
    "histogram": "x bins range density weights",
    "histogram2d": "x y bins range weights density",
    "histogramdd": "sample bins range weights density",
    "hsplit": "ary indices_or_sections",
    "hstack": "tup dtype casting",
    "identity": "n dtype",
    "imag": "val",
    "indices": "dimensions dtype",
    "inner": "a b",
    "interp": "x xp fp left right period",
    "intersect1d": "arr1 arr2 assume_unique return_indices",
    "isclose": "a b rtol atol equal_nan",
    "iscomplex": "x",
    "iscomplexobj": "x",
    "isfortran": "a",
    "isin": "element test_elements assume_unique invert",
    "isneginf": "x out",
    "isposinf": "x out",
    "isreal": "x",
    "isrealobj": "x",
    "ix_": "*",
    "kaiser": "M beta",
    "kron": "a b",
    "lexsort": "keys",
    "linspace": "start stop num endpoint retstep dtype axis",
    "load": "file mmap_mode allow_pickle",
    "loadtxt": "* **",
    "logspace": "start stop num endpoint base dtype axis",
    "mask_indices": "n mask_func k",
    "matrix_transpose": "x",
    "max": "a axis out keepdims",
    "may_share_memory": "a b max_work",
    "mean": "a axis dtype out keepdims",
    "median": "a axis out overwrite_input keepdims",
    "meshgrid": "* **",
    "min": "a axis out keepdims",
    "moveaxis": "a source destination",
    "nan_to_num": "x copy nan posinf neginf",
    "nanargmax": "a axis dtype out keepdims",
    "nanargmin": "a axis dtype out keepdims",
    "nancumprod": "a axis dtype out",
    "nancumsum": "a axis dtype out",
    "nanmax": "a axis out keepdims",
    "nanmean": "a axis dtype out keepdims",
    "nanmedian": "a axis out overwrite_input keepdims",
    "nanmin": "a axis out keepdims",
    "nanprod": "a axis dtype out keepdims",
    "nanstd": "a axis dtype out ddof keepdims",
    "nansum": "a axis dtype out keepdims",
    "nanvar": "a axis dtype out ddof keepdims",
    "nonzero": "a",
    "ones": "shape dtype order",
    "ones_like": "a dtype order subok shape",
    "outer": "a b out",
    "packbits": "a axis bitorder",
    "pad": "array pad_width mode **",
    "partition": "a kth axis",
    "percentile": "a q axis out overwrite_input method keepdims interpolation",
    "piecewise": "x condlist funclist",
    "place": "arr mask vals",
    "poly": "seq_of_zeros",
    "polyadd": "a1 a2",
    "polyfit": "x y deg rcond full w cov",
    "polymul": "a1 a2",
    "polysub": "a1 a2",
    "polyval": "p x",
    "prod": "a axis dtype out keepdims",
    "ptp": "a axis out keepdims",
    "put": "a ind v mode",
    "put_along_axis": "arr indices values axis",
    "putmask": "a mask values",
    "quantile": "a q axis out overwrite_input method keepdims interpolation",
    "ravel": "a order",
    "ravel_multi_index": "multi_index dims mode order",
    "real": "val",
    "real_if_close": "a tol",
    "repeat": "a repeats axis",
    "require": "a dtype requirements",
    "reshape": "a newshape order copy",
    "resize": "a new_shape",
    "roll": "a shift axis",
    "rollaxis": "a axis start",
    "roots": "p",
    "rot90": "a k axes",
    "round": "a decimals out",
    "row_stack": "tup dtype casting",
    "save": "file arr allow_pickle",
    "savetxt": "fname X * **",
    "savez": "file * **",
    "savez_compressed": "file * **",
    "searchsorted": "a v side sorter",
    "select": "condlist choicelist default",
    "setdiff1d": "ar1 ar2 assume_unique",
    "setxor1d": "ar1 ar2 assume_unique",
    "shape": "a",
    "shares_memory": "a b max_work",
    "sort": "a axis kind",
    "sort_complex": "a",
    "split": "ary indices_or_sections axis",
    "squeeze": "a axis",
    "stack": "tup axis out dtype casting",
    "std": "a axis dtype out ddof keepdims",
    "sum": "a axis dtype out keepdims",
    "swapaxes": "a axis1 axis2",
    "take": "a indices axis out",
    "take_along_axis": "a indices axis",
    "tensordot": "a b axes",
    "tile": "A reps",
    "trace": "a offset axis1 axis2 dtype out",
    "transpose": "a axes",
    "trapezoid": "y x dx axis",
    "tri": "N M k dtype",
    "tril": "m k",
    "tril_indices": "n k m",
    "tril_indices_from": "arr k",
    "trim_zeros": "filt trim",
    "triu": "m k",
    "triu_indices": "n k m",
    "triu_indices_from": "arr k",
    "union1d": "arr1 arr2",
    "unique": "ar return_index return_inverse return_counts axis equal_nan",
    "unique_all": "x",
    "unique_counts": "x",
    "unique_inverse": "x",
    "unique_values": "x",
    "unpackbits": "a axis bitorder",
    "unravel_index": "indices dims order",
    "unwrap": "p discont axis period",
    "vander": "x N increasing",
    "var": "a axis dtype out ddof keepdims",
    "vdot": "a b",
    "vsplit": "ary indices_or_sections",
    "vstack": "tup dtype casting",
    "where": "condition x y",
    "zeros": "shape dtype order",
    "zeros_like": "a dtype order subok shape",
}

# ndarray methods the stand-in forwards to numpy, with CuPy's parameters (core.pyx).
METHODS = {
    "transpose": "*",
    "swapaxes": "axis1 axis2",
    "ravel": "order",
    "flatten": "order",
    "squeeze": "axis",
    "sum": "axis dtype out keepdims",
    "mean": "axis dtype out keepdims",
    "max": "axis out keepdims",
    "min": "axis out keepdims",
    "argmax": "axis out dtype keepdims",
    "argmin": "axis out dtype keepdims",
    "prod": "axis dtype out keepdims",
    "var": "axis dtype out ddof keepdims",
    "std": "axis dtype out ddof keepdims",
    "all": "axis out keepdims",
    "any": "axis out keepdims",
    "cumsum": "axis dtype out",
    "cumprod": "axis dtype out",
    "clip": "min max out",
    "round": "decimals out",
    "nonzero": "",
    "argsort": "axis kind",
    "take": "indices axis out",
    "repeat": "repeats axis",
    "diagonal": "offset axis1 axis2",
    "trace": "offset axis1 axis2 dtype out",
    "conj": "",
    "conjugate": "",
    "partition": "kth axis",
    "argpartition": "kth axis",
}
