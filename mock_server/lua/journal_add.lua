-- ARGV: prefix, entry (JSON), most entries, most bytes. Appends the entry, then drops the
-- oldest while more than the most entries or bytes are kept (never the newest).
local list, total = P .. 'journal', P .. 'journal:bytes'
redis.call('RPUSH', list, ARGV[2])
local bytes = redis.call('INCRBY', total, #ARGV[2])
local most, budget = tonumber(ARGV[3]), tonumber(ARGV[4])
local kept = redis.call('LLEN', list)
while kept > 1 and (kept > most or bytes > budget) do
  bytes = redis.call('DECRBY', total, #redis.call('LPOP', list))
  kept = kept - 1
end
return kept
