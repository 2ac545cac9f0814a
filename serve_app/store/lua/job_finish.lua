-- include: lib/now_ms
-- include: lib/enqueue_webhook
-- Move a claimed job to its terminal state, enqueue its webhook and schedule its expiry, if this
-- worker still holds the lease (a job reaches exactly one terminal state). Returns 1, or 0 when
-- the lease was lost.
local job, leases, events, hook, hooks_due, hooks_wakeup = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local jobs_expiry = KEYS[7]
local id, token, status, event_json, webhook_id = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local ttl_ms = tonumber(ARGV[6])  -- 0: the record is kept until deleted
-- ARGV[7], ARGV[8], ...: field/value pairs to record (completed_at, result or error)

if redis.call('HGET', job, 'status') ~= 'IN_PROGRESS' or redis.call('HGET', job, 'lease_token') ~= token then
  return 0
end
redis.call('HSET', job, 'status', status, 'lease_token', '', unpack(ARGV, 7))
redis.call('ZREM', leases, id)
redis.call('XADD', events, '*', 'data', event_json)
enqueue_webhook(job, hook, hooks_due, hooks_wakeup, id, webhook_id)
if ttl_ms > 0 then redis.call('ZADD', jobs_expiry, now_ms() + ttl_ms, id) end
return 1
