"""Resuming a finished run says so (it said "resumed from epoch 4" of a 3-epoch run)."""

from test_trainer import config

from gradcli.train import session


def test_resuming_a_finished_run_says_it_ended_and_how_to_continue(tmp_path):
    session.start(config(), run_dir=tmp_path).fit()
    with session.resume(tmp_path) as run:
        assert run.notices == [
            f"{tmp_path}/checkpoints/last.safetensors ended its run (epoch 3, step 18): nothing "
            "to train; --set train.epochs=N with more epochs continues it"
        ]
        assert run.fit()["steps"] == 18
    with session.resume(tmp_path, ["train.epochs=4"]) as run:
        assert run.notices[-1].startswith("resumed from epoch 4 step 18 of ")
