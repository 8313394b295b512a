-- ARGV: prefix, which sorted set (under the prefix), now. Removes and returns the members
-- due by now with their times, earliest first: whoever runs this step owns them.
local key = P .. ARGV[2]
local due = redis.call('ZRANGEBYSCORE', key, '-inf', ARGV[3], 'WITHSCORES')
for i = 1, #due, 2 do redis.call('ZREM', key, due[i]) end
return due
