"""Lua scripts for keys that one owner holds at a time (a lease, a queued-job marker)."""

_OWNED = """
local value = redis.call('get', KEYS[1])
local owned = value == ARGV[1] or (value and string.sub(value, 1, #ARGV[1] + 1) == ARGV[1] .. ' ')
"""
"""Lua: whether ``KEYS[1]`` holds ``ARGV[1]``, alone or as its first word (a lease's token)."""

DELETE_IF_OWNED = _OWNED + "if owned then return redis.call('del', KEYS[1]) end return 0"
"""Delete ``KEYS[1]`` if ``ARGV[1]`` owns it."""

EXPIRE_IF_OWNED = _OWNED + "if owned then return redis.call('expire', KEYS[1], ARGV[2]) end return 0"
"""Make ``KEYS[1]`` expire in ``ARGV[2]`` seconds if ``ARGV[1]`` owns it."""


def run(redis, script, key, *args):
    """Run one of these scripts on ``key``; returns what it returns."""
    return redis.register_script(script)(keys=[key], args=list(args))
