"""``python -m mockkpr`` runs the command line."""

from mockkpr.cli import main

main()
