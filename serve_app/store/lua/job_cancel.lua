-- include: lib/now_ms
-- include: lib/enqueue_webhook
-- include: lib/queue_moved
-- Cancel a queued job at once (its webhook is enqueued), or ask a running one to stop at its
-- next chunk. Returns the job's status after the call, or false when there is no such job.
local job, queue, events, moves = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local hook, hooks_due, hooks_wakeup, queued_per_owner = KEYS[5], KEYS[6], KEYS[7], KEYS[8]
local jobs_expiry, queued_audio = KEYS[9], KEYS[10]
local id, now_iso, event_json, webhook_id, ttl_ms = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])

local status = redis.call('HGET', job, 'status')
if status == 'IN_QUEUE' then
  redis.call('ZREM', queue, id)
  redis.call('HSET', job, 'status', 'CANCELLED', 'completed_at', now_iso)
  redis.call('XADD', events, '*', 'data', event_json)
  queue_moved(moves, id, job, queued_per_owner, queued_audio)
  enqueue_webhook(job, hook, hooks_due, hooks_wakeup, id, webhook_id)
  if ttl_ms > 0 then redis.call('ZADD', jobs_expiry, now_ms() + ttl_ms, id) end
  return 'CANCELLED'
elseif status == 'IN_PROGRESS' then
  redis.call('HSET', job, 'cancel_requested', '1')
end
return status
