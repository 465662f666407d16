# python-diskcache's own core benchmark (tests/benchmark_core.py), rewritten
# here: 90% get, 9% set, 1% delete over 100 keys, values of 1 to ~500 bytes,
# keys pre-filled, the first 1,000 operations untimed. Same command line and
# output as bench/peers/_workload.ts: one JSON line of raw samples (µs).
#   python3 bench/workload1.py <dir> <ops> [fanout] [--worker N] [--go FILE]
import json, os, random, sys, time
import diskcache

args = sys.argv[1:]
def flag(name, default=None):
    if "--" + name in args:
        i = args.index("--" + name)
        value = args[i + 1]
        del args[i:i + 2]
        return value
    return default
worker = int(flag("worker", "0"))
go = flag("go")
directory, ops = args[0], int(args[1])
fanout = len(args) > 2 and args[2] == "fanout"
cache = diskcache.FanoutCache(directory, shards=4, timeout=1.0) if fanout else diskcache.Cache(directory)
random.seed(worker)
keys = [str(i).encode() for i in range(100)]
for k in keys:
    cache.set(k, k)
if go is not None:
    sys.stdout.write("READY\n")
    sys.stdout.flush()
    deadline = time.time() + 120
    while not os.path.exists(go):
        if time.time() > deadline:
            raise SystemExit("never told to go")
        time.sleep(0.0005)
samples = {"get": [], "set": [], "delete": []}
misses = {"get": 0, "set": 0, "delete": 0}
wall_start = time.perf_counter()
for i in range(ops):
    if i == 1000:
        wall_start = time.perf_counter()
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
        samples[op].append(round(elapsed * 1e7) / 10)
        if result is None or result is False:
            misses[op] += 1
wall_us = (time.perf_counter() - wall_start) * 1e6
cache.close()
print(json.dumps({"runtime": "python " + sys.version.split()[0] + " diskcache " + diskcache.__version__,
                  "worker": worker, "wallUs": wall_us, "samples": samples, "misses": misses,
                  "errors": {"get": 0, "set": 0, "delete": 0}}))
