-- include: lib/now_ms
-- include: lib/queue_moved
-- Claim a job: first one whose lease ran out (its worker died), else the head of the queue.
-- Returns {'claimed', id, attempt}, {'exhausted', id, attempts} (claimed too often: fail it),
-- or false when there is nothing to do.
local queue, leases, moves, queued_per_owner, queued_audio = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local job_prefix, events_suffix, lease_ms, token = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local max_attempts, started_at, started_event = tonumber(ARGV[5]), ARGV[6], ARGV[7]

local now = now_ms()
local deadline = now + lease_ms
while true do
  local expired = redis.call('ZRANGEBYSCORE', leases, '-inf', now, 'LIMIT', 0, 1)
  if #expired == 0 then break end
  local id = expired[1]
  local job = job_prefix .. id
  if redis.call('HGET', job, 'status') ~= 'IN_PROGRESS' then
    redis.call('ZREM', leases, id)
  else
    local attempts = tonumber(redis.call('HGET', job, 'attempts') or '0')
    redis.call('ZADD', leases, deadline, id)
    redis.call('HSET', job, 'lease_token', token, 'attempts', attempts + 1, 'progress', '')
    if attempts >= max_attempts then
      return {'exhausted', id, attempts}
    end
    return {'claimed', id, attempts + 1}
  end
end
while true do
  local popped = redis.call('ZPOPMIN', queue)
  if #popped == 0 then return false end
  local id = popped[1]
  local job = job_prefix .. id
  if redis.call('HGET', job, 'status') == 'IN_QUEUE' then
    redis.call('ZADD', leases, deadline, id)
    redis.call('HSET', job, 'status', 'IN_PROGRESS', 'lease_token', token, 'attempts', 1, 'started_at', started_at)
    redis.call('XADD', job .. events_suffix, '*', 'data', started_event)
    queue_moved(moves, id, job, queued_per_owner, queued_audio)
    return {'claimed', id, 1}
  end
end
