-- ARGV: prefix, kind. Returns id, place, fields and uses of each rule, in order.
local kind = ARGV[2]
local ids = redis.call('ZRANGE', P .. 'r:order:' .. kind, 0, -1, 'WITHSCORES')
local out = {}
for i = 1, #ids, 2 do
  local id = ids[i]
  out[#out + 1] = id
  out[#out + 1] = ids[i + 1]
  out[#out + 1] = redis.call('HGET', P .. 'r:' .. kind, id)
  out[#out + 1] = redis.call('HGET', P .. 'r:used', id) or '0'
end
return out
