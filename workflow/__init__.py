"""Declarative workflows (YAML) outside the core: the language and its CLI; the plugin turns them into DAGs."""
