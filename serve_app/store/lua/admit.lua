-- include: lib/admit
-- Admit a request on its own (an upload; a submit refused, or about to bind its
-- Idempotency-Key, before job_submit.lua would have admitted it). Returns lib/admit's answer:
-- nil when admitted, else the refusal.
local rate_previous, rate_current, storage_used = KEYS[1], KEYS[2], KEYS[3]
local owner, elapsed, per_minute = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local window_ttl, quota = tonumber(ARGV[4]), tonumber(ARGV[5])

return admit(rate_previous, rate_current, storage_used, owner, elapsed, per_minute, window_ttl, quota)
