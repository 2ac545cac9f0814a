-- Hand a claimed job back, for a worker that is stopping (a scale-down, an upgrade): its lease
-- falls due now, so the next claim takes it at once instead of after the visibility timeout,
-- and the planned stop does not count as one of its attempts. Returns 1, or 0 when this worker
-- no longer holds it.
local job, leases, wakeup = KEYS[1], KEYS[2], KEYS[3]
local id, token = ARGV[1], ARGV[2]

if redis.call('HGET', job, 'status') ~= 'IN_PROGRESS' or redis.call('HGET', job, 'lease_token') ~= token then
  return 0
end
redis.call('HSET', job, 'lease_token', '', 'attempts', tonumber(redis.call('HGET', job, 'attempts') or '1') - 1)
redis.call('ZADD', leases, 0, id)
redis.call('LPUSH', wakeup, '1')
redis.call('LTRIM', wakeup, 0, 999)
return 1
