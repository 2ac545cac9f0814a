"""TypeID-style identifiers: ``prefix_`` + 26 lowercase Crockford base32
characters of a UUIDv7 (time-ordered, 74 random bits, so unguessable)."""

from __future__ import annotations

import os
import time
import uuid

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def uuid7() -> uuid.UUID:
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version
    value |= ((rand >> 62) & 0xFFF) << 64  # rand_a, 12 bits
    value |= 0b10 << 62  # variant
    value |= rand & ((1 << 62) - 1)  # rand_b, 62 bits
    return uuid.UUID(int=value)


def encode(u: uuid.UUID) -> str:
    """128 bits as 26 base32 characters (the TypeID suffix encoding)."""
    n = u.int
    return "".join(_ALPHABET[(n >> (5 * i)) & 31] for i in range(25, -1, -1))


def made_at_ms(type_id: str) -> int:
    """The Unix millisecond an id was made in (its UUIDv7's timestamp)."""
    n = 0
    for char in type_id.rsplit("_", 1)[-1]:
        n = (n << 5) | _ALPHABET.index(char)
    return n >> 80


def pattern(prefix: str) -> str:
    """The regular expression of ids with ``prefix`` (the first character carries only 3 bits)."""
    return rf"^{prefix}_[0-7][{_ALPHABET}]{{25}}$"


def new_id(prefix: str) -> str:
    return f"{prefix}_{encode(uuid7())}"


def bound_at(prefix: str, ms: int, upper: bool = False) -> str:
    """The smallest (or, ``upper``, largest) id of ``prefix`` made in millisecond ``ms``:
    ids sort by creation time, so these bound a time range in a sorted index."""
    value = (ms & ((1 << 48) - 1)) << 80
    if upper:
        value |= (1 << 80) - 1
    return f"{prefix}_{encode(uuid.UUID(int=value))}"
