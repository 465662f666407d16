# One python-diskcache writer of bench/sections/fairness.mjs (same loop as
# bench/fairness_writer.ts): fairness_writer.py <dir> <seconds> <startAt> <id>
import json, sys, time
import diskcache

directory, seconds, start_at, ident = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) / 1000, sys.argv[4]
cache = diskcache.Cache(directory, timeout=60)
end = start_at + seconds
counts = [0] * seconds
value = "w" * 200
max_wait = 0.0
i = 0
while time.time() < start_at:
    time.sleep(0.001)
while True:
    t0 = time.time()
    if t0 >= end:
        break
    cache.set(f"{ident}-{i % 1000}", value)
    i += 1
    t1 = time.time()
    max_wait = max(max_wait, t1 - t0)
    w = int(t1 - start_at)
    if w < seconds:
        counts[w] += 1
cache.close()
print(json.dumps({"id": ident, "counts": counts, "maxWait": round(max_wait * 1000)}))
