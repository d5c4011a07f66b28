"""Sluice core: settings, the metadata database, storage access and the CLI frame."""

__version__ = "0.1.0"
