"""Data shipped with the categorizer (model, IPTC subset, tables).

A package only so that setuptools' `services*` package discovery ships these files
(pyproject's package-data patterns `*.json` / `*.gz` apply per package directory).
"""
