"""`gradcli.cli.app.main`: any exception is one line on stderr with the right exit code; the
help reads the same for every command. In process, with a command made to raise."""

import errno
import os

import pytest

from gradcli import __version__
from gradcli.cli import app as cli_app
from gradcli.cli import config_cmd
from gradcli.errors import CheckpointError, ConfigError, DataError, DeviceError

HINT = "(rerun with --debug for the traceback)"


@pytest.fixture
def failing(monkeypatch, capsys):
    """`fail(exc, *flags)` runs `gradcli config show x.yaml` with loading the config raising
    `exc`; returns (exit code, stdout, stderr)."""
    monkeypatch.delenv("GRADCLI_DEBUG", raising=False)

    def fail(exc, *flags):
        def raise_it(*args, **kwargs):
            raise exc

        monkeypatch.setattr(config_cmd, "load_config", raise_it)
        with pytest.raises(SystemExit) as exit_:
            cli_app.main(["config", "show", "x.yaml", *flags])
        out, err = capsys.readouterr()
        return exit_.value.code, out, err

    return fail


def nested_too_deep():
    def down(n):
        return down(n + 1)

    try:
        down(0)
    except RecursionError as e:
        return e


UNEXPECTED = [
    (KeyError("config"), "error: KeyError: 'config' " + HINT),
    (ValueError("line one\nline two\n"), "error: ValueError: line one line two " + HINT),
    (ZeroDivisionError(), "error: ZeroDivisionError " + HINT),
    (MemoryError("Unable to allocate 7.28 TiB for an array with shape (10**12, 784)"),
     "error: out of memory (Unable to allocate 7.28 TiB for an array with shape (10**12, 784)); "
     "use a smaller dataset, model or batch size " + HINT),
    (MemoryError(), "error: out of memory; use a smaller dataset, model or batch size " + HINT),
    (nested_too_deep(), "error: input nested too deeply to process (RecursionError) " + HINT),
    (OSError(errno.ENAMETOOLONG, os.strerror(errno.ENAMETOOLONG), "runs/" + "n" * 40),
     f"error: runs/{'n' * 40}: File name too long " + HINT),
    (IsADirectoryError(errno.EISDIR, "Is a directory", "data/train.npz"),
     "error: data/train.npz: Is a directory " + HINT),
    (PermissionError(errno.EACCES, "Permission denied", "runs"),
     "error: runs: Permission denied " + HINT),
    (OSError(errno.ENOSPC, "No space left on device", "a.tmp", None, "last.safetensors"),
     "error: a.tmp -> last.safetensors: No space left on device " + HINT),
    (OSError(errno.ENOSPC, "No space left on device"), "error: No space left on device " + HINT),
]  # fmt: skip


@pytest.mark.parametrize("exc,message", UNEXPECTED, ids=[type(e).__name__ for e, _ in UNEXPECTED])
def test_unexpected_errors_are_one_line_exit_1(failing, exc, message):
    code, out, err = failing(exc)
    assert (code, out, err) == (1, "", message + "\n")


def test_a_huge_message_is_cut_to_one_short_line(failing):
    code, _, err = failing(RuntimeError("x" * 100_000))
    assert code == 1 and err.count("\n") == 1 and len(err) < 400 and err.endswith(HINT + "\n")


def test_gradcli_errors_keep_their_wording_and_code(failing):
    listing = "2 config errors:\n  a.yaml:1:1: x: bad\n  a.yaml:2:1: y: bad"
    assert failing(ConfigError(listing)) == (2, "", f"error: {listing}\n")
    assert failing(DataError("data/x.npz: not an npz file")) == (
        1, "", "error: data/x.npz: not an npz file\n"
    )  # fmt: skip
    mismatch = CheckpointError("a.safetensors: cannot load it:\n\tsize mismatch for 1.weight")
    assert failing(mismatch) == (
        1, "", "error: a.safetensors: cannot load it: size mismatch for 1.weight\n"
    )  # fmt: skip


def test_markup_in_messages_is_printed_as_is(failing):
    hint = "CuPy is not installed: pip install 'gradcli[cuda12]' or 'gradcli[cuda11]'"
    assert failing(DeviceError(hint)) == (1, "", f"error: {hint}\n")
    _, _, err = failing(FileNotFoundError(errno.ENOENT, "No such file", "runs/[bold]x"))
    assert "runs/[bold]x: No such file" in err


def test_debug_flag_and_variable_show_the_traceback(failing, monkeypatch):
    with pytest.raises(KeyError):
        failing(KeyError("config"), "--debug")
    monkeypatch.setenv("GRADCLI_DEBUG", "1")
    with pytest.raises(KeyError):
        cli_app.main(["config", "show", "x.yaml"])


def test_ctrl_c_exits_130(failing):
    code, _, _ = failing(KeyboardInterrupt())
    assert code == 130


def run_main(capsys, *argv):
    with pytest.raises(SystemExit) as exit_:
        cli_app.main(list(argv))
    out, err = capsys.readouterr()
    return exit_.value.code, out, err


def test_short_version_flag(capsys):
    assert run_main(capsys, "-V") == (0, f"gradcli {__version__}\n", "")


def test_shell_completion_is_offered(capsys):
    code, out, _ = run_main(capsys, "--show-completion", "bash")
    assert code == 0 and "_GRADCLI_COMPLETE" in out


HELP = [
    (["--help"], None),
    (["train", "--help"], "Usage: gradcli train [OPTIONS] [CONFIG]"),
    (["eval", "--help"], "Usage: gradcli eval [OPTIONS] CHECKPOINT"),
    (["inspect-graph", "--help"], "Usage: gradcli inspect-graph [OPTIONS] TARGET"),
    (["config", "--help"], None),
    (["config", "show", "--help"], "Usage: gradcli config show [OPTIONS] CONFIG"),
    (["datasets", "--help"], None),
]


@pytest.mark.parametrize("argv,usage", HELP, ids=[" ".join(a) for a, _ in HELP])
def test_help_notation_is_uniform(capsys, monkeypatch, argv, usage):
    monkeypatch.setenv("COLUMNS", "120")
    code, out, _ = run_main(capsys, *argv)
    assert code == 0
    assert "<bool>" not in out and "{" not in out
    if usage:
        assert usage in out


def test_eval_and_inspect_print_names_and_paths_as_written(capsys, tmp_path):
    from gradcli.cli.eval import _render
    from gradcli.cli.inspect_graph import _write

    result = dict(name="exp[v2]", dataset="csv[x]", split="test", samples=2, epoch=1, step=3,
                  loss=0.5, accuracy=0.5, class_names=["cat[s]", "dog"],
                  per_class=[dict(precision=1.0, recall=0.5, f1=0.6, support=1)] * 2,
                  confusion=[[1, 0], [1, 0]])  # fmt: skip
    _render(result)
    _write("{}", tmp_path / "[bold]graph.json")
    out = capsys.readouterr().out
    assert "exp[v2]" in out and "csv[x]" in out and "cat[s]" in out
    assert f"wrote {tmp_path / '[bold]graph.json'}" in out


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["train", "--no-such-flag"], "No such option: --no-such-flag"),
        (["trian"], "No such command 'trian'. Did you mean 'train'?"),
        (["eval"], "Missing argument 'checkpoint'"),
    ],
)
def test_usage_errors_are_one_line_too(capsys, argv, says):
    with pytest.raises(SystemExit) as exit_:
        cli_app.main(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and says in err
    assert len(err.strip().splitlines()) == 1 and "--help" in err


def test_a_group_alone_still_prints_its_help(capsys):
    with pytest.raises(SystemExit):
        cli_app.main(["datasets"])
    assert "download" in capsys.readouterr().out
