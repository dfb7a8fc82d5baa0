import numpy as np
import pytest

from gradcli.data import DataError, build_transforms
from gradcli.data.transforms import TRANSFORMS, Transform


def images(n=50, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, 3, 4, 4), dtype=np.uint8)


def test_scale_uint8_to_unit_float32():
    x = np.array([[0, 51, 255]], dtype=np.uint8)
    out, y = build_transforms(["scale"])(x, np.zeros(1))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [[0.0, 0.2, 1.0]], rtol=1e-7)


def test_normalize_given_stats_per_channel():
    x = np.ones((2, 3, 2, 2), np.float32) * np.array([1, 2, 3], np.float32)[None, :, None, None]
    pipe = build_transforms([{"type": "normalize", "mean": [1, 1, 1], "std": [1, 2, 4]}])
    out, _ = pipe(x, None)
    np.testing.assert_allclose(out[0, :, 0, 0], [0.0, 0.5, 0.5])
    assert out.dtype == np.float32


def test_normalize_fits_on_training_rows_only():
    x = images(60).astype(np.float32)
    x[40:] += 1000  # held-out rows are very different: they must not move the statistics
    train = np.arange(40)
    pipe = build_transforms(["normalize"])
    out, _ = pipe.fit_apply(x, np.zeros(60), index=train)
    np.testing.assert_allclose(pipe.transforms[0].mean, x[train].mean(axis=(0, 2, 3)), rtol=1e-6)
    np.testing.assert_allclose(pipe.transforms[0].std, x[train].std(axis=(0, 2, 3)), rtol=1e-6)
    np.testing.assert_allclose(out[train].mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(out[train].std(axis=(0, 2, 3)), 1, atol=1e-5)
    assert out[40:].mean() > 10
    assert out.dtype == np.float32


def test_fitted_stats_round_trip_through_spec():
    x = images()
    pipe = build_transforms(["scale", {"type": "normalize", "per": "global"}, "flatten"])
    out, _ = pipe.fit_apply(x, np.zeros(len(x)))
    spec = pipe.spec()
    assert spec[1]["type"] == "normalize" and isinstance(spec[1]["mean"], float)
    again, _ = build_transforms(spec)(x, np.zeros(len(x)))
    np.testing.assert_array_equal(out, again)
    assert out.shape == (50, 48)
    assert abs(float(out.mean())) < 1e-5


def test_constant_feature_is_centred_not_divided_by_zero():
    x = np.stack([np.ones(10), np.arange(10.0)], axis=1)
    out, _ = build_transforms(["normalize"]).fit_apply(x, None)
    assert np.all(np.isfinite(out)) and np.all(out[:, 0] == 0)


def test_one_hot_uses_metadata_num_classes():
    y = np.array([0, 2, 1])
    _, yo = build_transforms(["one_hot"], num_classes=4)(np.zeros((3, 1)), y)
    assert yo.dtype == np.float32 and yo.shape == (3, 4)
    np.testing.assert_array_equal(yo.argmax(1), y)
    with pytest.raises(DataError, match=r"labels span \[0, 2\] but num_classes=2"):
        build_transforms([{"type": "one_hot", "num_classes": 2}])(np.zeros((3, 1)), y)


@pytest.mark.parametrize(
    "spec", [["scale", "normalize", "flatten"], ["flatten", "normalize"], ["normalize"]]
)
def test_transforms_do_not_mutate_input(spec):
    x = images().astype(np.float32)
    before = x.copy()
    out, _ = build_transforms(spec).fit_apply(x, np.zeros(len(x)))
    np.testing.assert_array_equal(x, before)
    assert not np.may_share_memory(out, x)


def test_in_place_steps_give_the_same_result_as_fresh_ones():
    x = images()
    pipe = build_transforms(["scale", "normalize"])
    out, _ = pipe.fit_apply(x, None)
    mean, std = pipe.transforms[1].mean, pipe.transforms[1].std
    expected = (x / np.float32(255) - mean.astype(np.float32)[:, None, None]) / std.astype(
        np.float32
    )[:, None, None]
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)


def test_config_errors_name_the_entry():
    with pytest.raises(DataError, match=r"transforms\[1\]: unknown transform 'blur'; choose one"):
        build_transforms(["scale", "blur"])
    with pytest.raises(
        DataError, match=r"^data\.transforms\[0\] \(scale\): unknown option 'factor'; choose one"
    ):
        build_transforms([{"type": "scale", "factor": 2}])
    with pytest.raises(DataError, match=r"\(flatten\) takes no options; remove 'dims'"):
        build_transforms(["scale", {"flatten": {"dims": 2}}])
    with pytest.raises(DataError, match="give both mean and std"):
        build_transforms([{"type": "normalize", "mean": 0.5}])
    with pytest.raises(DataError, match="call fit"):
        build_transforms(["normalize"])(np.zeros((2, 2)), None)
    with pytest.raises(DataError, match="3 mean/std values do not match data of shape"):
        build_transforms([{"type": "normalize", "mean": [0, 0, 0], "std": [1, 1, 1]}])(
            np.zeros((2, 5)), None
        )


def test_aliases_and_empty_spec():
    assert len(build_transforms(None)) == 0
    assert build_transforms(["normalise", "onehot"]).spec()[1]["type"] == "one_hot"


def test_layer_style_short_form_is_accepted():
    spec = build_transforms([{"normalize": {"mean": [0.5], "std": [0.25]}}, {"flatten": None}])
    assert spec.spec() == [
        {"type": "normalize", "per": "channel", "mean": [0.5], "std": [0.25]},
        {"type": "flatten"},
    ]
    assert build_transforms([{"normalise": {"per": "global"}}]).spec()[0]["type"] == "normalize"


def test_ambiguous_or_misspelt_entries_say_how_to_write_them():
    with pytest.raises(DataError, match=r"transforms\[0\]: give scale's options by name, e\.g\. "
                       r"\{scale: \{max_value: 255\}\}"):  # fmt: skip
        build_transforms([{"scale": 255}])
    with pytest.raises(DataError, match=r"transforms\[1\]: unknown transform 'normalizee'") as e:
        build_transforms(["scale", {"normalizee": {}}])
    assert "did you mean 'normalize'" in str(e.value)
    with pytest.raises(DataError, match=r"transforms\[0\]: cannot tell the transform in"):
        build_transforms([{"scale": {}, "flatten": {}}])


def test_a_transform_registered_elsewhere_is_built_by_name():
    class Clip(Transform):
        def __init__(self, high: float = 1.0):
            self.high = high

        def __call__(self, x, y):
            return np.minimum(x, self.high), y

    with TRANSFORMS.temporarily("clip", Clip):
        pipe = build_transforms([{"clip": {"high": 2.0}}])
        assert pipe(np.array([1.0, 3.0]), None)[0].tolist() == [1.0, 2.0]
        assert pipe.spec() == [{"type": "clip"}]
    with pytest.raises(DataError, match="unknown transform 'clip'"):
        build_transforms(["clip"])


def test_misspelt_transform_option_suggests_the_option():
    with pytest.raises(DataError, match="did you mean 'max_value'") as err:
        build_transforms([{"scale": {"max_valu": 2}}])
    assert str(err.value).startswith("data.transforms[0] (scale): unknown option 'max_valu'")


@pytest.mark.parametrize(
    "item, message",
    [
        ({"scale": {"max_value": "abc"}}, "(scale): max_value must be a number > 0, got 'abc'"),
        ({"scale": {"max_value": 0}}, "(scale): max_value must be a finite number > 0, got 0"),
        ({"scale": {"max_value": True}}, "(scale): max_value must be a number > 0, got True"),
        (
            {"normalize": {"mean": "a", "std": "b"}},
            "(normalize): mean must be a number or a list of numbers, got 'a'",
        ),
        (
            {"normalize": {"mean": [0.5], "std": [1, "x"]}},
            "(normalize): std must be a number or a list of numbers, got [1, 'x']",
        ),
        ({"normalize": {"mean": 0.5}}, "(normalize): std is missing: give both mean and std"),
        ({"normalize": {"per": ["x"]}}, "(normalize): per must be 'channel' or 'global'"),
        ({"one_hot": {"num_classes": "ten"}}, "(one_hot): num_classes must be an integer >= 1"),
    ],
)
def test_bad_option_values_are_one_line_data_errors_naming_entry_and_option(item, message):
    with pytest.raises(DataError) as err:
        build_transforms(["flatten", item])
    assert str(err.value).startswith(f"data.transforms[1] {message}"), str(err.value)
    assert "\n" not in str(err.value)


def test_a_registered_transform_that_rejects_a_value_is_named_too():
    class Clip(Transform):
        def __init__(self, high: float = 1.0):
            self.high = float(high)  # ValueError on a string

        def __call__(self, x, y):
            return np.minimum(x, self.high), y

    with TRANSFORMS.temporarily("clip", Clip):
        with pytest.raises(DataError, match=r"^data\.transforms\[0\] \(clip\): bad option value"
                           r" \(high='top'\): could not convert"):  # fmt: skip
            build_transforms([{"clip": {"high": "top"}}])


def test_transform_names_ignore_case_in_registration_and_lookup():
    class Clip(Transform):
        def __call__(self, x, y):
            return np.minimum(x, 1.0), y

    with TRANSFORMS.temporarily("MyClip", Clip):
        for name in ("MyClip", "myclip", "MYCLIP"):
            assert len(build_transforms([name])) == 1
        assert build_transforms(["MyClip"]).spec() == [{"type": "myclip"}]
    assert build_transforms(["Scale", {"type": "Normalize"}]).spec()[1]["type"] == "normalize"
