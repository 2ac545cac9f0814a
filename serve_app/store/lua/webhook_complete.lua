-- include: lib/now_ms
-- Record a claimed delivery attempt and what follows it: another attempt after delay_ms (state
-- 'pending'), or the end. Returns 1, or 0 when the lease was lost (nothing is recorded twice).
local due, hook = KEYS[1], KEYS[2]
local id, token, attempt_json, state, delay_ms = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])

if redis.call('HGET', hook, 'lease_token') ~= token then return 0 end
local log = cjson.decode(redis.call('HGET', hook, 'attempt_log'))
log[#log + 1] = cjson.decode(attempt_json)
redis.call('HSET', hook, 'attempt_log', cjson.encode(log), 'state', state, 'lease_token', '', 'inflight_at', '')
if state == 'pending' then
  local next_ms = now_ms() + delay_ms
  redis.call('ZADD', due, next_ms, id)
  redis.call('HSET', hook, 'next_attempt_ms', next_ms)
else
  redis.call('ZREM', due, id)
  redis.call('HSET', hook, 'next_attempt_ms', '')
end
return 1
