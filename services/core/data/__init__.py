"""Data shipped with the shared core (the compact GeoNames city table, see gazetteer.py).

A package only so that setuptools' `services*` package discovery ships these files
(pyproject's package-data pattern `*.gz` applies per package directory).
"""
