-- ARGV: prefix. Deletes every webhook record of the namespace.
local cursor = '0'
repeat
  local found = redis.call('SCAN', cursor, 'MATCH', P .. 'w:*', 'COUNT', 1000)
  cursor = found[1]
  for _, key in ipairs(found[2]) do redis.call('UNLINK', key) end
until cursor == '0'
return true
