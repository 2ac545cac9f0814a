"""The Redis Lua scripts (``lua/*.lua``), loaded by name.

Each script opens with a comment saying what it does and what it returns, then
names its KEYS and ARGV as locals. A line ``-- include: lib/NAME`` pulls in a
shared function from ``lua/lib/`` (once, before the script's own text): Redis
has no include of its own, and one definition of, say, the Redis clock in
milliseconds serves every script.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import redis.asyncio as aioredis
from redis.commands.core import AsyncScript

LUA = Path(__file__).parent / "lua"
_INCLUDE = re.compile(r"^-- include: (\S+)$", re.MULTILINE)


@functools.cache
def source(name: str) -> str:
    """The script's full text, its includes first (each once, in dependency order)."""
    done: list[str] = []

    def visit(path: str) -> None:
        text = (LUA / f"{path}.lua").read_text()
        for included in _INCLUDE.findall(text):
            if included not in done:
                visit(included)
                done.append(included)

    visit(name)
    parts = [(LUA / f"{path}.lua").read_text() for path in done]
    return "\n".join([*parts, (LUA / f"{name}.lua").read_text()])


def register(redis: aioredis.Redis, name: str) -> AsyncScript:
    """``lua/NAME.lua`` as a script callable on ``redis`` (sent by SHA, loaded on first use)."""
    return redis.register_script(source(name))
