"""ONNX Runtime agrees with gradcli on every layer the YAML can build, in each of its forms.

Parametrised over the layer registry: a layer registered without a case here fails, so a new
layer cannot ship without an ONNX converter (or a deliberate error and a case showing it).
"""

import pytest

from gradcli.config.layers import LAYERS

pytest.importorskip("onnx", reason="ONNX export needs the onnx extra: pip install 'gradcli[onnx]'")
pytest.importorskip("onnxruntime", reason="the comparison runs ONNX Runtime (gradcli[onnx])")

from export_helpers import assert_matches, model_from  # noqa: E402

IMAGE, FLAT, SEQ, TOKENS = (3, 9, 9), (12,), (5, 6), (7,)
CONV = {"conv2d": {"out_channels": 4, "kernel_size": 3, "padding": 1}}
RESIDUAL_BODY = [CONV, "batchnorm2d", "relu", {"conv2d": {"out_channels": 4, "kernel_size": 3,
                                                          "padding": 1}}]  # fmt: skip

# layer name -> cases: (input shape, model.layers[, model.blocks])
CASES = {
    "linear": [(FLAT, [{"linear": 5}]), (FLAT, [{"linear": {"out_features": 3, "bias": False}}])],
    "conv2d": [
        (IMAGE, [CONV]),
        (IMAGE, [{"conv2d": {"out_channels": 6, "kernel_size": [3, 2], "stride": 2,
                             "dilation": [1, 2], "groups": 3, "bias": False}}]),
        (IMAGE, [{"conv2d": {"out_channels": 2, "kernel_size": 4, "padding": "same"}}]),
        (IMAGE, [{"conv2d": {"out_channels": 2, "kernel_size": 3, "padding": "valid"}}]),
    ],
    "maxpool2d": [
        (IMAGE, [{"maxpool2d": 2}]),
        (IMAGE, [{"maxpool2d": {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}}]),
        (IMAGE, [{"maxpool2d": {"kernel_size": 2, "stride": 1, "dilation": 2}}]),
        # ceil_mode's last window would start in the padding: gradcli drops it, ONNX would not
        (IMAGE, [{"maxpool2d": {"kernel_size": 2, "stride": 2, "padding": 1, "ceil_mode": True}}]),
    ],
    "avgpool2d": [
        (IMAGE, [{"avgpool2d": 2}]),
        (IMAGE, [{"avgpool2d": {"kernel_size": 3, "stride": 2, "padding": 1,
                                "count_include_pad": False}}]),
        (IMAGE, [{"avgpool2d": {"kernel_size": 2, "stride": 2, "ceil_mode": True}}]),
        (IMAGE, [{"avgpool2d": {"kernel_size": 2, "stride": 2, "padding": 1, "ceil_mode": True}}]),
        (IMAGE, [{"avgpool2d": {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True,
                                "count_include_pad": False}}]),
    ],
    "adaptive_avgpool2d": [(IMAGE, [{"adaptive_avgpool2d": 4}]),  # 9 -> 4: unequal windows
                           (IMAGE, [{"adaptive_avgpool2d": [3, 1]}])],
    "flatten": [(IMAGE, ["flatten"]), (IMAGE, [{"flatten": {"start_dim": 2}}]),
                (IMAGE, [{"flatten": {"start_dim": 1, "end_dim": 2}}])],
    "dropout": [(FLAT, [{"dropout": 0.5}])],
    "batchnorm1d": [(FLAT, ["batchnorm1d"]),
                    (FLAT, [{"batchnorm1d": {"affine": False, "eps": 1e-3}}])],
    "batchnorm2d": [(IMAGE, ["batchnorm2d"]), (IMAGE, [{"batchnorm2d": {"affine": False}}])],
    "relu": [(FLAT, ["relu"])],
    "leaky_relu": [(FLAT, [{"leaky_relu": 0.2}])],
    "elu": [(FLAT, [{"elu": 0.7}])],
    "gelu": [(FLAT, ["gelu"]), (FLAT, [{"gelu": "tanh"}])],
    "sigmoid": [(FLAT, ["sigmoid"])],
    "tanh": [(FLAT, ["tanh"])],
    "softmax": [(FLAT, ["softmax"]), (IMAGE, [{"softmax": -1}])],
    "log_softmax": [(FLAT, ["log_softmax"]), (IMAGE, [{"log_softmax": 2}])],
    "identity": [(FLAT, ["identity"])],
    "global_avgpool": [(IMAGE, ["global_avgpool"])],
    "rnn": [(SEQ, [{"rnn": 4}]),
            (SEQ, [{"rnn": {"hidden_size": 3, "nonlinearity": "relu", "num_layers": 2,
                            "bidirectional": True, "output": "sequence"}}])],
    "lstm": [(SEQ, [{"lstm": 4}]),
             (SEQ, [{"lstm": {"hidden_size": 3, "num_layers": 2, "bidirectional": True,
                              "dropout": 0.3}}]),
             (SEQ, [{"lstm": {"hidden_size": 3, "bias": False, "output": "sequence"}}])],
    "gru": [(SEQ, [{"gru": 4}]),
            (SEQ, [{"gru": {"hidden_size": 3, "num_layers": 2, "bidirectional": True,
                            "output": "sequence"}}])],
    "embedding": [
        (TOKENS, [{"embedding": {"num_embeddings": 11, "embedding_dim": 4}}]),
        (TOKENS, [{"embedding": {"num_embeddings": 11, "embedding_dim": 4, "padding_idx": 0,
                                 "transpose": True}}]),
    ],
    "conv1d": [(SEQ, [{"conv1d": {"out_channels": 4, "kernel_size": 3, "padding": "same"}}]),
               (SEQ, [{"conv1d": {"out_channels": 5, "kernel_size": 2, "stride": 2,
                                  "dilation": 2, "bias": False}}])],
    "layernorm": [(SEQ, ["layernorm"]), (SEQ, [{"layernorm": {"dims": 2, "bias": False}}]),
                  (SEQ, [{"layernorm": {"elementwise_affine": False}}])],
    "residual": [
        (IMAGE, [CONV, {"residual": {"body": RESIDUAL_BODY, "after": "relu"}}]),
        (IMAGE, [{"residual": {"body": [{"conv2d": {"out_channels": 6, "kernel_size": 3,
                                                    "stride": 2, "padding": 1}}]}}]),  # projection
        (FLAT, [{"residual": [{"linear": 7}]}]),  # a linear projection
    ],
    "branches": [
        (IMAGE, [{"branches": {"merge": "concat", "paths": [[CONV], [{"maxpool2d": {
            "kernel_size": 3, "stride": 1, "padding": 1}}]]}}]),
        (FLAT, [{"branches": {"merge": "add",
                              "paths": [[{"linear": 4}], [{"linear": 4}, "relu"]]}}]),
    ],
    "save": [(FLAT, [{"save": "a"}, {"linear": 12}, {"add": "a"}])],
    "add": [(FLAT, [{"save": "a"}, "relu", {"save": "b"}, "tanh", {"add": ["a", "b"]}])],
    "concat": [(IMAGE, [{"save": "x"}, CONV, {"concat": "x"}])],
    "block": [(IMAGE, [CONV, {"basic": {"repeat": 2}}],
               {"basic": {"params": {"c": 4}, "residual": RESIDUAL_BODY, "after": "relu"}}),
              (FLAT, [{"mlp": {"width": 5}}],
               {"mlp": {"params": {"width": None}, "layers": [{"linear": "$width"}, "elu"]}})],
}  # fmt: skip


@pytest.mark.parametrize("layer", sorted(LAYERS.names()))
def test_onnx_runtime_matches_gradcli_on_every_yaml_layer(layer):
    if layer not in CASES:
        pytest.fail(f"layer '{layer}' has no ONNX export case: add its converter and a case here")
    for i, (shape, layers, *blocks) in enumerate(CASES[layer]):
        model = model_from(layers, shape, *blocks, seed=i)
        assert_matches(model, shape)
