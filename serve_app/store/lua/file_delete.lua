-- Forget a file of this owner: its record, listing entry and expiry, and give its bytes back
-- to the owner's storage. Returns 1, or 0 when there is no such file of this owner.
local file, owner_files, expiry, used = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local id, owner = ARGV[1], ARGV[2]

if redis.call('HGET', file, 'owner') ~= owner then return 0 end
local size = tonumber(redis.call('HGET', file, 'file_size') or '0')
redis.call('DEL', file)
redis.call('ZREM', owner_files, id)
redis.call('ZREM', expiry, id)
if redis.call('HINCRBY', used, owner, -size) <= 0 then redis.call('HDEL', used, owner) end
return 1
