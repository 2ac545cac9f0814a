-- include: lib/enqueue_webhook
-- Move a claimed job to its terminal state and enqueue its webhook, if this worker still holds
-- the lease (a job reaches exactly one terminal state). Returns 1, or 0 when the lease was lost.
local job, leases, events, hook, hooks_due, hooks_wakeup = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local id, token, status, event_json, webhook_id = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
-- ARGV[6], ARGV[7], ...: field/value pairs to record (completed_at, result or error)

if redis.call('HGET', job, 'status') ~= 'IN_PROGRESS' or redis.call('HGET', job, 'lease_token') ~= token then
  return 0
end
redis.call('HSET', job, 'status', status, 'lease_token', '', unpack(ARGV, 6))
redis.call('ZREM', leases, id)
redis.call('XADD', events, '*', 'data', event_json)
enqueue_webhook(job, hook, hooks_due, hooks_wakeup, id, webhook_id)
return 1
