-- A queued job left the queue: every job behind it moved, so one entry in the
-- queue-moves stream tells their status streams to recompute (job_position.lua); its owner
-- has one job fewer waiting, and its backend its seconds of audio fewer.
local function queue_moved(moves, id, job, queued_per_owner, queued_audio)
  redis.call('XADD', moves, 'MAXLEN', '~', 1000, '*', 'id', id)
  redis.call('HINCRBY', queued_per_owner, redis.call('HGET', job, 'owner'), -1)
  local audio_ms = tonumber(redis.call('HGET', job, 'audio_ms') or '0') or 0
  if audio_ms > 0 then
    local serving = redis.call('HGET', job, 'serving')
    if redis.call('HINCRBY', queued_audio, serving, -audio_ms) <= 0 then redis.call('HDEL', queued_audio, serving) end
  end
end
