-- ARGV: prefix. Deletes every key of the namespace but the clock, the rules' version and
-- the mark that the defaults were made (reset makes them again).
local keep = {[P .. 'clock'] = true, [P .. 'r:v'] = true, [P .. 'init'] = true}
local cursor = '0'
repeat
  local found = redis.call('SCAN', cursor, 'MATCH', P .. '*', 'COUNT', 1000)
  cursor = found[1]
  for _, key in ipairs(found[2]) do
    if not keep[key] then redis.call('UNLINK', key) end
  end
until cursor == '0'
redis.call('INCR', P .. 'r:v')
return true
