"""Jiuye (就业): public employment service platform."""

__version__ = "0.1.0"
