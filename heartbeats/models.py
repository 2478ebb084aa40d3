"""Models of the heartbeats app."""

from __future__ import annotations
