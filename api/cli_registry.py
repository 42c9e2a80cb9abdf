"""CLI commands for the registries: officials, tokens, import and export (to be written)."""

from __future__ import annotations

import argparse


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add this module's subcommands to the drawledger parser."""
