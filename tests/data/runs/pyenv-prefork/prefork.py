import os, time, signal
def work(secs):
    x = bytearray(4 << 20)
    for i in range(0, len(x), 4096): x[i] = 1
    time.sleep(secs); os._exit(0)
kids = {}
for lifetime in (3.0, 1.0):
    pid = os.fork()
    if pid == 0: work(lifetime)
    kids[pid] = lifetime
deadline = time.time() + 3.2
replaced = False
while kids:
    pid, _ = os.wait()
    kids.pop(pid)
    if not replaced and time.time() < deadline:
        replaced = True
        npid = os.fork()
        if npid == 0: work(1.8)
        kids[npid] = 1.8
