-- Log a queued job's position when it differs from the last one logged; returns it, or false.
local job, queue, events = KEYS[1], KEYS[2], KEYS[3]
local id, event_json = ARGV[1], ARGV[2]

if redis.call('HGET', job, 'status') ~= 'IN_QUEUE' then return false end
local position = redis.call('ZRANK', queue, id)
if not position or tostring(position) == redis.call('HGET', job, 'logged_position') then return false end
redis.call('HSET', job, 'logged_position', position)
local event = cjson.decode(event_json)
event['queue_position'] = position
redis.call('XADD', events, '*', 'data', cjson.encode(event))
return position
