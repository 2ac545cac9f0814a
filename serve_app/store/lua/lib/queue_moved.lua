-- A queued job left the queue: every job behind it moved, so one entry in the
-- queue-moves stream tells their status streams to recompute (job_position.lua).
local function queue_moved(moves, id, job, queued_per_owner)
  redis.call('XADD', moves, 'MAXLEN', '~', 1000, '*', 'id', id)
  redis.call('HINCRBY', queued_per_owner, redis.call('HGET', job, 'owner'), -1)
end
