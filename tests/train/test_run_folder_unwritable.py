"""A run folder whose lock cannot be written (a read-only copy, a hostile lock path) is a
one-line gradcli error with the way out; it was an OSError the CLI could only call
'Read-only file system' with a hint to rerun with --debug."""

import pytest
from test_trainer import config

from gradcli.errors import GradcliError
from gradcli.train import session


def test_resume_where_the_lock_cannot_be_written(tmp_path):
    session.start(config(), run_dir=tmp_path).fit()
    lock = tmp_path / ".gradcli.lock"
    lock.unlink()
    lock.mkdir()  # open() fails on it as on a read-only file system
    with pytest.raises(GradcliError, match="cannot be written") as e:
        session.resume(tmp_path, ["train.epochs=4"])
    assert str(e.value).endswith("resume with --run-dir NEW to continue in a new folder")
