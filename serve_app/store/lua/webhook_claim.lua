-- include: lib/now_ms
-- Lease the next due webhook delivery for one attempt. Returns {request id, attempt} or false.
-- An attempt whose sender died (its lease ran out) is logged and counts as made.
local due = KEYS[1]
local hook_prefix, lease_ms, token, max_attempts, now_iso = ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4]), ARGV[5]

local now = now_ms()
while true do
  local head = redis.call('ZRANGEBYSCORE', due, '-inf', now, 'LIMIT', 0, 1)
  if #head == 0 then return false end
  local id = head[1]
  local hook = hook_prefix .. id
  if redis.call('EXISTS', hook) == 0 then
    redis.call('ZREM', due, id)
  else
    local attempts = tonumber(redis.call('HGET', hook, 'attempts'))
    local lost = redis.call('HGET', hook, 'inflight_at')
    if lost and lost ~= '' then
      local log = cjson.decode(redis.call('HGET', hook, 'attempt_log'))
      log[#log + 1] = {attempt = attempts, at = lost, error = 'the sender stopped during this attempt'}
      redis.call('HSET', hook, 'attempt_log', cjson.encode(log), 'inflight_at', '', 'lease_token', '')
    end
    if attempts >= max_attempts then
      redis.call('ZREM', due, id)
      redis.call('HSET', hook, 'state', 'failed', 'next_attempt_ms', '')
    else
      redis.call('ZADD', due, now + lease_ms, id)
      redis.call('HSET', hook, 'attempts', attempts + 1, 'lease_token', token, 'inflight_at', now_iso,
                 'next_attempt_ms', '')
      return {id, attempts + 1}
    end
  end
end
