"""``python -m ragtune`` runs the CLI."""

from ragtune.cli.app import main

main()
