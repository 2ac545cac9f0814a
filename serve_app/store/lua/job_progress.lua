-- Record a running job's chunk progress. Returns like job_heartbeat.lua. Chunks finish
-- concurrently, so reports can arrive out of order: one that is not ahead of the recorded
-- progress is dropped, and progress never goes back.
local job, events = KEYS[1], KEYS[2]
local token, progress_json, event_json, chunks_done = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])

if redis.call('HGET', job, 'status') ~= 'IN_PROGRESS' or redis.call('HGET', job, 'lease_token') ~= token then
  return -1
end
local recorded = redis.call('HGET', job, 'progress')
if not recorded or recorded == '' or cjson.decode(recorded)['chunks_done'] < chunks_done then
  redis.call('HSET', job, 'progress', progress_json)
  redis.call('XADD', events, '*', 'data', event_json)
end
if redis.call('HGET', job, 'cancel_requested') == '1' then return 1 end
return 0
