-- wrk script for scripts/bench: every request carries the sidecar's token.
wrk.method = "GET"
wrk.headers["Authorization"] = "token " .. os.getenv("FL_BENCH_TOKEN")
