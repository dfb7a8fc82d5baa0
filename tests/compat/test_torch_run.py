"""`gradcli torch-run`: PyTorch scripts run unchanged, and what gradcli lacks is one line."""

import subprocess
import sys
import textwrap

import pytest

from gradcli.cli.app import main
from gradcli.torch_run import ScriptError, run_script


def script(tmp_path, body: str, name="prog.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return path


def cli(capsys, *args) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_:
        main(["torch-run", *map(str, args)])
    out, err = capsys.readouterr()
    return exit_.value.code, out, " ".join(err.split())


def test_script_sees_torch_as_gradcli_with_its_argv_name_and_folder(tmp_path, capsys):
    script(tmp_path, "VALUE = 41\n", name="helper_mod_for_torch_run.py")
    path = script(
        tmp_path,
        """
        import sys
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        from torch import optim
        from torch.optim.lr_scheduler import StepLR
        from torch.utils.data import DataLoader, TensorDataset
        import gradcli
        from helper_mod_for_torch_run import VALUE  # the script's folder is on sys.path

        assert torch is gradcli and nn is gradcli.nn and torch.utils.data is gradcli.data
        assert __name__ == "__main__"
        model = nn.Linear(2, 1)
        StepLR(optim.SGD(model.parameters(), lr=0.1), 1)
        print(sys.argv[1:], VALUE + 1, F.relu(torch.tensor([-1.0, 2.0])).tolist())
        """,
    )
    code, out, err = cli(capsys, path, "--epochs", "3", "--help", "--debug")
    assert (code, err) == (0, "")
    assert out.strip() == "['--epochs', '3', '--help', '--debug'] 42 [0.0, 2.0]"
    assert "torch" not in sys.modules  # the aliases are gone after the run


@pytest.mark.parametrize(
    "body, message",
    [
        ("import torch\nx = torch.ones(2)\ny = torch.no_such_function(x)\n",
         "gradcli does not support torch.no_such_function yet (prog.py:3)"),
        ("import torch\n\nimport torch.distributed\n",
         "gradcli does not support torch.distributed yet (prog.py:3)"),
        ("from torch.nn import NoSuchLayer\n",
         "gradcli does not support torch.nn.NoSuchLayer yet (prog.py:1)"),
        ("import torch\ntorch.ones(2).no_such_method()\n",
         "gradcli does not support torch.Tensor.no_such_method yet (prog.py:2)"),
        ("import torch.nn as nn\nnn.Linear(2, 2).no_such_method()\n",
         "gradcli does not support torch.nn.Linear.no_such_method yet (prog.py:2)"),
        ("import torch\ntorch.nn.Linear(2, 3, no_such_arg=1)\n",
         "gradcli does not support torch.nn.Linear(no_such_arg=...) yet (prog.py:2)"),
        ("import torch\nfrom torchvision import datasets\n",
         "torchvision is not part of gradcli: load MNIST or Fashion-MNIST with "
         "gradcli.data.load_dataset('mnist')"),
    ],
)  # fmt: skip
def test_what_gradcli_lacks_is_one_line_naming_the_torch_name_and_line(
    tmp_path, capsys, body, message
):
    code, out, err = cli(capsys, script(tmp_path, body))
    assert code == 1
    assert err.startswith(f"error: {message}")
    assert "Traceback" not in err


def test_other_errors_are_one_line_with_the_script_line_and_debug_shows_them(tmp_path, capsys):
    path = script(tmp_path, "import torch\n\ntorch.ones(2, 3) @ torch.ones(2, 3)\n")
    code, _, err = cli(capsys, path)
    assert code == 1 and "(prog.py:3)" in err and "Traceback" not in err
    with pytest.raises(Exception) as raised:  # --debug: the original error, not a summary
        run_script(path, debug=True)
    assert not isinstance(raised.value, ScriptError)
    bad = script(tmp_path, "raise SystemExit(3)\n", name="exits.py")
    assert cli(capsys, bad)[0] == 3  # the script's own exit code
    assert "no such script" in cli(capsys, tmp_path / "missing.py")[2]


def test_python_dash_m_entry_point(tmp_path):
    path = script(tmp_path, "import torch\nprint(torch.tensor([1, 2]).sum().item())\n")
    done = subprocess.run([sys.executable, "-m", "gradcli.torch_run", str(path)],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert (done.returncode, done.stdout.strip()) == (0, "3")
