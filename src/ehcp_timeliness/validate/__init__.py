"""Validating raw tables against the schema: typed, usable rows and findings."""
