"""The loss and the dataset's targets are checked against each other before training, and the
advice given works: mse on class labels says to add `one_hot`, and with it the run trains; a
class-index-only loss on one-hot targets is a located config error, not a TypeError at step 1."""

import numpy as np
import pytest

from gradcli.config.build import build_training
from gradcli.config.load import load_config
from gradcli.errors import ConfigError
from gradcli.train.trainer import Trainer

CONFIG = """\
name: targets
data: {{dataset: blobs, options: {{n_samples: 90}}, batch_size: 16, transforms: {transforms}}}
model:
  input_shape: [2]
  layers: [{{linear: 8}}, relu, {{linear: {outputs}}}]
loss: {loss}
optimizer: {{type: sgd, lr: 0.1}}
train: {{steps: 4}}
"""


def _config(tmp_path, loss, transforms="[]", outputs=3):
    path = tmp_path / "c.yaml"
    path.write_text(CONFIG.format(loss=loss, transforms=transforms, outputs=outputs))
    return load_config(path), path


def _error(tmp_path, *args, **kwargs) -> str:
    config, path = _config(tmp_path, *args, **kwargs)
    with pytest.raises(ConfigError) as e:
        build_training(config)
    return str(e.value).removeprefix(f"{path}:")


def test_mse_on_class_labels_says_to_add_one_hot_and_that_trains(tmp_path):
    assert _error(tmp_path, "mse") == (
        "5:31: loss 'mse' compares the model's output [3] with targets of the same shape, but "
        "dataset 'blobs' has class labels; use a class-index loss (cross_entropy, nll), or add "
        "`one_hot` to data.transforms"
    )
    for loss in ("mse", "l1", "cross_entropy"):
        trainer = Trainer(_config(tmp_path, loss, "[one_hot]")[0])
        final = trainer.fit()["final"]
        assert np.isfinite(final["train_loss"]) and 0 <= final["train_accuracy"] <= 1


def test_nll_on_one_hot_targets_is_a_config_error_at_the_loss(tmp_path):
    assert _error(tmp_path, "nll", "[one_hot]") == (
        "6:1: loss 'nll' takes class indices, but dataset 'blobs' has targets of shape [3] "
        "(one-hot rows?); remove the one_hot transform, or use a loss that takes class "
        "probabilities (cross_entropy)"
    )


@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
def test_one_hot_targets_and_a_wrong_output_size_name_the_fix(tmp_path, loss):
    assert _error(tmp_path, loss, "[one_hot]", outputs=4) == (
        "5:31: the model outputs shape [4] but dataset 'blobs' has targets of shape [3]; make "
        "the last layer `- linear: 3`"
    )
