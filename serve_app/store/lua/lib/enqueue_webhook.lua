-- include: lib/now_ms
-- The job's completion webhook, enqueued by the very script that ends the job, so a
-- finished job never lacks its webhook and an unfinished one never has one.
local function enqueue_webhook(job, hook, due, wakeup, id, webhook_id)
  local url = redis.call('HGET', job, 'webhook_url')
  if not url or url == '' then return end
  local now = now_ms()
  redis.call('HSET', hook, 'request_id', id, 'webhook_id', webhook_id, 'owner', redis.call('HGET', job, 'owner'),
             'url', url, 'state', 'pending', 'attempts', 0, 'attempt_log', '[]', 'next_attempt_ms', now)
  redis.call('ZADD', due, now, id)
  redis.call('LPUSH', wakeup, '1')
  redis.call('LTRIM', wakeup, 0, 99)
end
