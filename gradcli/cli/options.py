"""Options shared by several commands, declared once, and the help notation of every command."""

from __future__ import annotations

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup

Set = typer.Option(
    None,
    "--set",
    "-s",
    metavar="KEY=VALUE",
    help="Override a config key, typed and validated like the file: --set optimizer.lr=0.05",
)
Debug = typer.Option(False, "--debug", help="Show the traceback of errors.", envvar="GRADCLI_DEBUG")
Device = typer.Option(None, "--device", "-d", help="cpu, cuda, cuda:N or auto (overrides device).")
Threads = typer.Option(
    None,
    "--threads",
    metavar="N",
    help="Threads for the numerical work: N, or auto (the default, also $GRADCLI_THREADS): the "
    "cores this process may use, fewer while other processes keep some of them busy.",
)
BatchSize = typer.Option(None, "--batch-size", "-b", min=1, help="Batch size to use.")
# One option for the data root everywhere: train and eval call it --data, and `datasets`, which
# has no config, has always called it --root; either spelling works with every command.
Data = typer.Option(
    None,
    "--data",
    "--root",
    metavar="FOLDER",
    help="Data root, the folder holding one <dataset>/ folder per dataset (default: the config's "
    "data.root, else $GRADCLI_DATA_DIR, else a per-user folder; see `gradcli datasets list`).",
)


def _bare_flags(params: list) -> list:
    """typer labels every flag `<bool>` although a flag takes no value: show none."""
    for p in params:
        if getattr(p, "is_flag", False) and p.metavar is None:
            p.metavar = ""
    return params


class Command(TyperCommand):
    """A command whose help reads like other CLIs': `gradcli eval [OPTIONS] CHECKPOINT`.

    typer writes required arguments as `{checkpoint}` and optional ones as `[config]`; here an
    argument is in capitals, in brackets only when it may be left out, and flags have no metavar.
    """

    def get_params(self, ctx):
        return _bare_flags(super().get_params(ctx))

    def collect_usage_pieces(self, ctx) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for p in self.get_params(ctx):
            if isinstance(p, TyperArgument):
                name = p.name.upper()
                pieces.append(name if p.required else f"[{name}]")
        return pieces


class Group(TyperGroup):
    """A command group whose flags (`--help`, `--version`) show no `<bool>` metavar."""

    def get_params(self, ctx):
        return _bare_flags(super().get_params(ctx))
