-- Delete a finished job: its record, event log, webhook delivery, listing entry and expiry. Returns
-- the job's status before the delete (a job not finished is left alone), or nil when there is none.
local job, events, hook, hooks_due, owner_requests, jobs_expiry = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local id = ARGV[1]

local status = redis.call('HGET', job, 'status')
if not status then return nil end
if status ~= 'COMPLETED' and status ~= 'FAILED' and status ~= 'CANCELLED' then return status end
redis.call('DEL', job, events, hook)
redis.call('ZREM', hooks_due, id)
redis.call('ZREM', owner_requests, id)
redis.call('ZREM', jobs_expiry, id)
return status
