"""Models of the releases app."""

from __future__ import annotations
