# Cold start, python-diskcache: the same work as ours.mjs. Usage: python3 ours.py
import shutil
import tempfile

import diskcache

directory = tempfile.mkdtemp(prefix="cold-start-")
cache = diskcache.Cache(directory)
cache.set("key", "value")
assert cache.get("key") == "value"
cache.close()
shutil.rmtree(directory)
