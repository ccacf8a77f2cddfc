-- wrk script of bench/http.py: `wrk ... -s bench/wrk.lua URL -- DEPTH`.
--
-- DEPTH 1 leaves wrk's own request path alone (one static request per write). DEPTH > 1 pipelines: every
-- write carries DEPTH copies of the request, and wrk sends the next batch once all DEPTH responses are in;
-- wrk counts each response as a request, and times the batch (so latency is per batch of DEPTH).
--
-- When wrk is done, prints one JSON line with what bench/http.py needs (times in microseconds). `done` runs in
-- wrk's main Lua state, which `init` never saw: the driver knows the depth, the line does not say it.

init = function(args)
   local depth = tonumber(args[1]) or 1
   if depth > 1 then
      local batch = {}
      for i = 1, depth do
         batch[i] = wrk.format()
      end
      local req = table.concat(batch)
      -- Defined only here: without a `request` function wrk sends its static request (depth 1).
      request = function()
         return req
      end
   end
end

-- wrk's own `latency:percentile(p)` walks its histogram from the smallest latency recorded, but the samples
-- its coordinated-omission correction adds may lie below that (with pipelining they do: the correction takes
-- the interval between responses for the interval between requests), and then it returns 0. This walks the
-- whole histogram (`latency[i + 1]`: the samples of i microseconds), corrected samples included.
local function percentiles(latency, ps)
   local total = 0
   for us = 0, latency.max do
      total = total + latency[us + 1]
   end
   local found, seen, k = {}, 0, 1
   for us = 0, latency.max do
      seen = seen + latency[us + 1]
      while k <= #ps and seen >= ps[k] / 100 * total do
         found[k] = us
         k = k + 1
      end
   end
   return found
end

done = function(summary, latency, requests)
   local e = summary.errors
   local p = percentiles(latency, { 50, 90, 99 })
   io.write(string.format(
      '{"duration_us":%d,"requests":%d,"bytes":%d,' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
      '"latency_us":{"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"max":%d}}\n',
      summary.duration, summary.requests, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency.mean, p[1], p[2], p[3], latency.max))
end
