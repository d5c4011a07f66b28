"""The Sluice Spark job runtime: sources, transforms, bookmarks, lake and warehouse writers, lifecycle."""
