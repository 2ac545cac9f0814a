-- include: lib/admit
-- Admit a submit (its key's rate limit, then its storage quota: lib/admit), then record the
-- job and queue it, in one round trip; the quota is read in the same step that creates the
-- job. Returns lib/admit's refusal (a table), or the job's queue position, or -1 (the owner's
-- cap) / -2 (the queue's cap) / -3 (a job with this id exists: an idempotent retry raced its
-- original). The position goes into the event and is remembered as the last one logged.
local job, queue, seq, events, wakeup, queued_per_owner = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local owner_requests = KEYS[7]  -- the owner's listing index (all scores 0: ordered by id)
local queued_audio = KEYS[8]  -- backend -> ms of audio waiting (for metrics and autoscaling)
-- KEYS[9], KEYS[10], KEYS[11]: the admission's rate counters (previous and current window) and
-- the storage-used hash; absent when the request was admitted before this script (a submit
-- with an Idempotency-Key is admitted before the key is bound, so a refused one binds nothing)
local rate_previous, rate_current, storage_used = KEYS[9], KEYS[10], KEYS[11]
local id, event_json, owner = ARGV[1], ARGV[2], ARGV[3]
local owner_cap, queue_cap = tonumber(ARGV[4]), tonumber(ARGV[5])
local serving, audio_ms = ARGV[6], tonumber(ARGV[7])  -- also among the record's fields
-- ARGV[8] ... ARGV[12]: the admission's owner, elapsed fraction of the rate window, submits per
-- minute, counter TTL and quota bytes (as admit.lua's ARGV); empty strings when KEYS[9] is absent
-- ARGV[13], ARGV[14], ...: the job record's field/value pairs

if rate_previous then
  local refused = admit(rate_previous, rate_current, storage_used, ARGV[8], tonumber(ARGV[9]), tonumber(ARGV[10]),
                        tonumber(ARGV[11]), tonumber(ARGV[12]))
  if refused then return refused end
end
if redis.call('EXISTS', job) == 1 then return -3 end
if tonumber(redis.call('HGET', queued_per_owner, owner) or '0') >= owner_cap then return -1 end
if redis.call('ZCARD', queue) >= queue_cap then return -2 end
redis.call('HINCRBY', queued_per_owner, owner, 1)
local n = redis.call('INCR', seq)
redis.call('ZADD', queue, n, id)
redis.call('ZADD', owner_requests, 0, id)
local position = redis.call('ZRANK', queue, id)
redis.call('HSET', job, 'seq', n, 'logged_position', position, unpack(ARGV, 13))
if audio_ms > 0 then redis.call('HINCRBY', queued_audio, serving, audio_ms) end
local event = cjson.decode(event_json)
event['queue_position'] = position
redis.call('XADD', events, '*', 'data', cjson.encode(event))
redis.call('LPUSH', wakeup, '1')
redis.call('LTRIM', wakeup, 0, 999)
return position
