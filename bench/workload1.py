# python-diskcache's own core benchmark (tests/benchmark_core.py), rewritten
# here: 90% get, 9% set, 1% delete over 100 keys, values of 1 to ~500 bytes,
# keys pre-filled, the first 1,000 operations untimed. Prints one JSON line.
#   python3 bench/workload1.py <dir> <ops> [fanout]
import json, random, sys, time
import diskcache

directory, ops = sys.argv[1], int(sys.argv[2])
fanout = len(sys.argv) > 3 and sys.argv[3] == "fanout"
cache = diskcache.FanoutCache(directory, shards=4, timeout=1.0) if fanout else diskcache.Cache(directory)
random.seed(0)
keys = [str(i).encode() for i in range(100)]
for k in keys:
    cache.set(k, k)
timings = {"get": [], "set": [], "delete": []}
misses = {"get": 0, "set": 0, "delete": 0}
for i in range(ops):
    r = random.random()
    key = random.choice(keys)
    if r < 0.90:
        op = "get"
        start = time.perf_counter()
        result = cache.get(key)
    elif r < 0.99:
        op = "set"
        value = str(i).encode() * random.randint(1, 99)
        start = time.perf_counter()
        result = cache.set(key, value)
    else:
        op = "delete"
        start = time.perf_counter()
        result = cache.delete(key)
    elapsed = time.perf_counter() - start
    if i >= 1000:
        timings[op].append(elapsed * 1e6)
        if result is None or result is False:
            misses[op] += 1
def summary(xs):
    xs.sort()
    n = len(xs)
    return {"count": n, "median": xs[n // 2], "p90": xs[int(n * 0.9)], "p99": xs[int(n * 0.99)], "max": xs[-1], "total": sum(xs)}
print(json.dumps({"runtime": "python " + sys.version.split()[0] + " diskcache " + diskcache.__version__,
                  "results": {op: dict(summary(xs), misses=misses[op]) for op, xs in timings.items()}}))
