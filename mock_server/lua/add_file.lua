-- ARGV: prefix, file id, size, cutoff (created_at - ttl), max bytes, then name/value pairs.
local id, size, cutoff, most = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
redis.call('HSET', P .. 'f:' .. id, unpack(ARGV, 6))
redis.call('ZADD', P .. 'files', redis.call('INCR', P .. 'seq'), id)
local total = redis.call('INCRBY', P .. 'filebytes', size)
while true do
  local oldest = redis.call('ZRANGE', P .. 'files', 0, 0)
  if #oldest == 0 then return 0 end
  local fkey = P .. 'f:' .. oldest[1]
  local f = redis.call('HMGET', fkey, 'created_at', 'size_bytes')
  if tonumber(f[1]) > cutoff and total <= most then return 0 end
  redis.call('DEL', fkey)
  redis.call('ZREM', P .. 'files', oldest[1])
  total = redis.call('INCRBY', P .. 'filebytes', -tonumber(f[2]))
end
