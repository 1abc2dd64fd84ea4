# Out of memory is an answer: under the address-space limit the driver sets (ulimit -v),
# allocate until MemoryError, check what was made, free it, and go on. The output is the
# same for every allocator that answers NULL instead of crashing and uses the space the
# limit leaves; the counts themselves differ, so only bounds are printed.
import sys


def exhaust(make):
    held = []
    try:
        while True:
            held.append(make(len(held)))
    except MemoryError:
        pass
    # Room to check in: the last tenth goes first (one by one: a slice deletion allocates).
    for _ in range(len(held) // 10):
        held.pop()
    return held


def large(i):
    return bytes([i % 251]) * (1 << 20)


def small(i):
    return "s%09d" % i + "x" * (i % 40)


for round in (1, 2):
    held = exhaust(large)
    n = len(held)
    ok = all(b[0] == i % 251 and b[-1] == i % 251 for i, b in enumerate(held))
    print("round %d: 1 MiB objects until MemoryError: at least 120: %s, intact: %s"
          % (round, n >= 120, ok))
    del held
    held = exhaust(small)
    n = len(held)
    ok = all(s[1:10] == "%09d" % i and len(s) == 10 + i % 40 for i, s in enumerate(held))
    print("round %d: small strings until MemoryError: at least 800 k: %s, intact: %s"
          % (round, n >= 800000, ok))
    del held

# And the program goes on as if nothing happened: 40 000 entries, whose table (1.3 MB) is
# the largest block it asks for. Not 200 000: that table needs one free run of 10 MB, and
# freed pages stay in the heap's address space, so after the two rounds above live small
# objects can leave no such run under the limit although 180 MB are free (README, after
# "Out of memory is an answer": a known limit).
d = {i: str(i) * 3 for i in range(40000)}
print("after:", sum(len(v) for v in d.values()), sorted(d)[-1])
