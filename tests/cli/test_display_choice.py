"""The display `gradcli train` picks: a dumb terminal gets the plain lines (with a bar rich
printed a blank line after each epoch line there)."""

import sys

import pytest
from rich.console import Console

from gradcli.cli import train as train_cmd
from gradcli.cli.progress import PlainDisplay, Quiet, RichDisplay


@pytest.mark.parametrize(
    "term, expected", [("xterm-256color", RichDisplay), ("dumb", PlainDisplay)]
)
def test_a_terminal_gets_a_bar_unless_it_is_dumb(monkeypatch, term, expected):
    console = Console(force_terminal=True, _environ={"TERM": term})
    monkeypatch.setattr(train_cmd, "console", console)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert type(train_cmd._display(quiet=False)) is expected
    assert type(train_cmd._display(quiet=True)) is Quiet
