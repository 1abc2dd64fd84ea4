# A Python workload for the preload tests: dicts, lists, strings, a few threads and some
# extension modules loaded with dlopen. Its output is the same under any allocator.
import collections
import hashlib
import json
import threading


def words(seed, n):
    state = seed
    out = []
    for _ in range(n):
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF
        out.append("w%x" % (state % 4096))
    return out


def worker(seed, results):
    counts = collections.Counter(words(seed, 60000))
    table = {k: [v, k.upper(), k * 3] for k, v in counts.items()}
    blob = json.dumps(sorted(table.items()))
    results[seed] = (len(table), hashlib.sha256(blob.encode()).hexdigest()[:16])


results = {}
threads = [threading.Thread(target=worker, args=(s, results)) for s in range(1, 5)]
for t in threads:
    t.start()
for t in threads:
    t.join()
for seed in sorted(results):
    print("thread", seed, *results[seed])

lines = [" ".join(words(i, 20)) for i in range(5000)]
text = "\n".join(lines)
print("text", len(text), text.count("w1"), len(set(text.split())))
nested = [{"id": i, "tags": [str(j) for j in range(i % 10)], "name": "item%d" % i}
          for i in range(20000)]
print("nested", sum(len(d["tags"]) for d in nested), json.dumps(nested[1234]))

import decimal, sqlite3, ctypes  # noqa: E401  (extension modules: dlopen under the allocator)
print("decimal", decimal.Decimal(1) / decimal.Decimal(7))
con = sqlite3.connect(":memory:")
con.execute("create table t(x)")
con.executemany("insert into t values (?)", [(i,) for i in range(1000)])
print("sqlite", con.execute("select sum(x) from t").fetchone()[0])
print("ctypes", ctypes.sizeof(ctypes.c_long))
