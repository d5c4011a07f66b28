"""``python -m stepfunctions``: the ``sluice stepfunctions`` commands."""

from stepfunctions.cli import app

app(prog_name="sluice stepfunctions")
