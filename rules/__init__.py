"""The built-in rule files, importable as package data (ehcp_timeliness.builtin_rules)."""
