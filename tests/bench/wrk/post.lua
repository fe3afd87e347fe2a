-- wrk script for make bench: POSTs one fixed body and prints one
-- machine-readable summary line when the run is done.
--
-- Environment:
--   BENCH_BODY   file whose bytes are the request body (required)
--   BENCH_CLOSE  "1" adds "Connection: close", so every request pays a new
--                TCP connection and a full TLS handshake
--
-- Output (stdout, one line; latencies in microseconds):
--   BENCH requests=N duration_us=N rps=F p50=N p90=N p99=N p999=N
--         errors=N non2xx=N connect=N read=N write=N timeout=N

local path = os.getenv("BENCH_BODY")
local f = assert(io.open(path, "rb"), "BENCH_BODY: cannot open " .. tostring(path))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
if os.getenv("BENCH_CLOSE") == "1" then
	wrk.headers["Connection"] = "close"
end

function done(summary, latency, requests)
	local e = summary.errors
	local socket = e.connect + e.read + e.write + e.timeout
	io.write(string.format(
		"BENCH requests=%d duration_us=%d rps=%.1f p50=%d p90=%d p99=%d p999=%d " ..
		"errors=%d non2xx=%d connect=%d read=%d write=%d timeout=%d\n",
		summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
		latency:percentile(50), latency:percentile(90), latency:percentile(99),
		latency:percentile(99.9), socket + e.status, e.status,
		e.connect, e.read, e.write, e.timeout))
end
