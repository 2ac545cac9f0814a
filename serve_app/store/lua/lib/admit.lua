-- Admit a request before it creates anything: count it against its API key's rate limit
-- for the action, then check the key's storage quota (what a refused request would have
-- asked for no longer matters, so a rate-limited one is not checked further). The rate is a
-- sliding-window estimate over two one-minute counters (serve_app/access/ratelimit.py): the
-- current minute's requests plus the previous minute's, weighted by how much of it is still
-- inside the last 60 s; the caller names both counters and says how far into the current
-- minute it is, by its own clock, as before this ran in Redis. Returns nil when admitted,
-- else the refusal: {'rate_limited', previous, current} (the counts, for Retry-After) or
-- {'quota_full'}.
local function admit(rate_previous, rate_current, storage_used, owner, elapsed, per_minute, window_ttl, quota)
  local previous = tonumber(redis.call('GET', rate_previous) or '0')
  local current = redis.call('INCR', rate_current)
  redis.call('EXPIRE', rate_current, window_ttl)
  if previous * (1.0 - elapsed) + current > per_minute then return {'rate_limited', previous, current} end
  if quota > 0 and tonumber(redis.call('HGET', storage_used, owner) or '0') >= quota then return {'quota_full'} end
  return nil
end
