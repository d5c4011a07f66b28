"""The pure parts of the crawler: globs, file classification and table grouping."""
