-- Record a stored file: its metadata, its place in the owner's listing, when it expires, and
-- the bytes it adds to the owner's storage. Returns 1, or 0 (nothing recorded) when it would
-- take the owner past the quota.
local file, owner_files, expiry, used = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local id, owner, size, expires_ms, quota = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
-- ARGV[6], ARGV[7], ...: the record's field/value pairs (quota 0: none; expires_ms 0: never)

if quota > 0 and tonumber(redis.call('HGET', used, owner) or '0') + size > quota then return 0 end
redis.call('HSET', file, unpack(ARGV, 6))
redis.call('ZADD', owner_files, 0, id)
if expires_ms > 0 then redis.call('ZADD', expiry, expires_ms, id) end
redis.call('HINCRBY', used, owner, size)
return 1
