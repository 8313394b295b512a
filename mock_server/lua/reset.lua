-- ARGV: prefix. Deletes every key of the namespace but the clock and the rules' version.
local keep = {[P .. 'clock:now'] = true, [P .. 'clock:offset'] = true, [P .. 'clock:pending'] = true,
  [P .. 'r:v'] = true}
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
