-- include: lib/now_ms
-- Extend a claimed job's lease. Returns -1 (lease lost), 0 (go on) or 1 (cancel requested):
-- serve_app.jobs.store.Lease.
local job, leases = KEYS[1], KEYS[2]
local id, token, lease_ms = ARGV[1], ARGV[2], tonumber(ARGV[3])

if redis.call('HGET', job, 'status') ~= 'IN_PROGRESS' or redis.call('HGET', job, 'lease_token') ~= token then
  return -1
end
redis.call('ZADD', leases, 'XX', now_ms() + lease_ms, id)
if redis.call('HGET', job, 'cancel_requested') == '1' then return 1 end
return 0
