"""Resuming from a run's older checkpoint (an epoch copy, best) branches into a new run folder:
in place it rewound metrics.csv and summary.json while last.safetensors stayed ahead."""

from test_trainer import config

from gradcli.train import session


def test_an_epoch_copy_resumes_into_a_new_folder_and_the_run_is_kept(tmp_path):
    run_dir, runs = tmp_path / "run", tmp_path / "runs"
    cfg = config(**{"train.epochs": 3, "train.checkpoint": "{keep_last: 3}"})
    session.start(cfg, run_dir=run_dir).fit()
    before = {p.name: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()}
    older = run_dir / "checkpoints" / "epoch-0002.safetensors"
    with session.resume(older, [f"output.runs_dir={runs}"]) as branch:
        assert branch.folder.parent == runs / "t"
        assert any("is not the last checkpoint of" in n for n in branch.notices)
        assert branch.fit()["steps"] == 18  # epoch 3 again, in the new folder
    after = {p.name: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()}
    assert after == before
