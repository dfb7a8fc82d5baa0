"""A resume refuses other data: `--set data.dataset=spirals` on a blobs run trained the blobs
weights on spirals and exited 0."""

import pytest
from test_trainer import config

from gradcli.errors import CheckpointError
from gradcli.train import session


@pytest.mark.parametrize(
    "override, said",
    [
        ("data.dataset=spirals", "dataset name 'blobs', now 'spirals'"),
        ("data.transforms=[{normalize: {mean: [0], std: [2]}}]", "transforms [], now [{"),
    ],
)
def test_resume_on_other_data_is_refused(tmp_path, override, said):
    session.start(config(), run_dir=tmp_path).fit()
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    with pytest.raises(CheckpointError, match="trained on other data") as e:
        session.resume(tmp_path, [override, "train.epochs=4"])
    assert said in str(e.value) and "resume with the run's own data settings" in str(e.value)
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before
