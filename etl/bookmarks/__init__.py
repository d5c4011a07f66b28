"""Glue-compatible job bookmarks: pure state transitions live in :mod:`etl.bookmarks.state`."""
