"""Lua scripts for keys that one owner holds at a time (a lease, a queued-job marker)."""

_OWNS = """
local function owns(value)
    return value == ARGV[1] or (value and string.sub(value, 1, #ARGV[1] + 1) == ARGV[1] .. ' ')
end
"""
"""Lua: ``owns(value)``, whether a value holds ``ARGV[1]``, alone or as its first word (a lease's token)."""

_OWNED = _OWNS + "local owned = owns(redis.call('get', KEYS[1]))\n"
"""Lua: whether ``KEYS[1]`` holds ``ARGV[1]``."""

DELETE_IF_OWNED = _OWNED + "if owned then return redis.call('del', KEYS[1]) end return 0"
"""Delete ``KEYS[1]`` if ``ARGV[1]`` owns it."""

EXPIRE_IF_OWNED = _OWNED + "if owned then return redis.call('expire', KEYS[1], ARGV[2]) end return 0"
"""Make ``KEYS[1]`` expire in ``ARGV[2]`` seconds if ``ARGV[1]`` owns it."""

EXPIRE_OR_RETAKE_IF_OWNED = _OWNS + """
local value = redis.call('get', KEYS[1])
if value then
    if owns(value) then return redis.call('expire', KEYS[1], ARGV[2]) end
    return 0
end
local last = redis.call('get', KEYS[2])
if owns(last) then return redis.call('set', KEYS[1], last, 'EX', ARGV[2]) and 1 end
return 0
"""
""":data:`EXPIRE_IF_OWNED`; where ``KEYS[1]`` lapsed, set it again to ``KEYS[2]`` (its value when last
taken) for ``ARGV[2]`` seconds if ``ARGV[1]`` owns that, so no other owner took it since."""


def run(redis, script, key, *args):
    """Run one of these scripts on ``key``; returns what it returns."""
    return redis.register_script(script)(keys=[key], args=list(args))
