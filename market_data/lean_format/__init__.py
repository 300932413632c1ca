"""LEAN data-folder format: layout, parsing, formatting, reading and writing.

The public entry points are re-exported by :mod:`market_data.lean`.
"""
