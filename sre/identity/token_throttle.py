"""Bad bearer tokens from one address are throttled: after ``SRE_TOKEN_FAILURE_LIMIT`` failures within
``SRE_TOKEN_FAILURE_WINDOW`` seconds, every bearer-token request from that address gets 429 with ``Retry-After``
for the next ``SRE_TOKEN_FAILURE_WINDOW`` seconds.

Counts live in the Django cache, so with ``CACHE_URL`` on Redis every web process and node shares them; on the
default local-memory cache each process counts for itself. A blocked address cannot try even a valid token (the
point is to stop guessing, and a guess that happens to be right must not be told so).
"""

from __future__ import annotations

import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from rest_framework.exceptions import Throttled

from sre.identity.addresses import client_address

_PREFIX = "sre:token-failures:"


def _keys(address: str) -> tuple[str, str]:
    return f"{_PREFIX}count:{address}", f"{_PREFIX}until:{address}"


def token_throttle_check(request: HttpRequest) -> None:
    """Raise ``Throttled`` (429, Retry-After) while the client's address is blocked."""
    _, until_key = _keys(client_address(request))
    until = cache.get(until_key)
    if until is not None:
        wait = until - time.time()
        if wait > 0:
            raise Throttled(wait=math.ceil(wait), detail="Too many invalid API tokens from this address.")


def token_failure_record(request: HttpRequest) -> None:
    """Count one bad token from the client's address; at the limit, block the address for the window's rest."""
    window = settings.SRE["TOKEN_FAILURE_WINDOW"]
    count_key, until_key = _keys(client_address(request))
    # add() only sets when absent, so the window starts at the first failure; incr() is atomic on Redis.
    cache.add(count_key, 0, timeout=window)
    try:
        count = cache.incr(count_key)
    except ValueError:  # expired between add() and incr()
        cache.add(count_key, 1, timeout=window)
        count = 1
    if count >= settings.SRE["TOKEN_FAILURE_LIMIT"]:
        cache.set(until_key, time.time() + window, timeout=window + 1)
        cache.delete(count_key)


def token_failures_clear(address: str) -> None:
    """Forget an address's failures (tests, and an operator unblocking a client)."""
    count_key, until_key = _keys(address)
    cache.delete_many([count_key, until_key])
