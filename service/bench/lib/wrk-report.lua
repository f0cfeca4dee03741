-- wrk calls done() once, after the run: one JSON line with what the bench reads, so it does
-- not parse wrk's human report. Latencies are wrk's (microseconds, every answer). Defining no
-- request() or response() keeps wrk on its fast path: nothing runs in Lua per request.
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"wrkReport":true,"durationUs":%d,"requests":%d,"connectErrors":%d,"readErrors":%d,' ..
      '"writeErrors":%d,"timeouts":%d,"statusErrors":%d,"p50Us":%d,"p99Us":%d,"maxUs":%d}\n',
    summary.duration, summary.requests, e.connect, e.read, e.write, e.timeout, e.status,
    latency:percentile(50), latency:percentile(99), latency.max))
end
