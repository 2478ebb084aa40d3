"""Models of the rules app."""

from __future__ import annotations
