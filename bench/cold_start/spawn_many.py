# Runs commands one after another and reports, for each run, its wall time
# and the CPU time (user + system, all threads) the child used, which
# os.wait4 gives and Node's spawnSync does not: on a shared machine the CPU
# time tells what a start costs when the wall time mostly tells the load.
# stdin: {"commands": [[argv0 (absolute), arg, ...], ...], "order": [index, ...], "cwd": dir}
# stdout: [[index, wall ms, cpu ms, exit code], ...] (JSON). Used by bench/sections/cold_start.mjs.
import json
import os
import sys
import time

spec = json.load(sys.stdin)
os.chdir(spec["cwd"])
null = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_RDWR, 0) for fd in (0, 1, 2)]
out = []
for index in spec["order"]:
    argv = spec["commands"][index]
    started = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=null)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - started
    out.append([index, wall * 1000, (usage.ru_utime + usage.ru_stime) * 1000, os.waitstatus_to_exitcode(status)])
print(json.dumps(out))
