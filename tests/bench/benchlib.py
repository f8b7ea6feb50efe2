#!/usr/bin/env python3
"""Helpers for the benchmark shell scripts in this folder: free loopback ports, the switch's
test configuration, readiness, CPU and memory snapshots from /proc, SIPp statistics and the
summary table.

    benchlib.py ports N                       N distinct ports free for UDP and TCP on 127.0.0.1
    benchlib.py config DIR SIP HTTP MIN MAX   write DIR/switchboard.toml, print its path
    benchlib.py wait-http PORT [SECONDS]      until GET /health answers "ok"
    benchlib.py snap FILE LABEL=PID[,PID]...  CPU ticks and memory of process groups (+ children)
    benchlib.py diff A B                      CPU % of one core per group between two snapshots
    benchlib.py mem PID                       RSS and peak RSS (kB) of one process
    benchlib.py stat STAT.CSV                 the last row of a SIPp -trace_stat file, as JSON
    benchlib.py report SUMMARY.JSONL          the table: max passing rate per mode, ratios
    benchlib.py received COUNTS.CSV CODE      how many CODE responses a SIPp -trace_counts file saw
    benchlib.py status PORT KEY               one number of the switch's GET /api/status
"""
import csv
import json
import os
import socket
import sys
import time
import urllib.request

HZ = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
# The pass criterion of the brief: fewer than 0.1 % failed calls.
MAX_FAIL_PCT = 0.1

# Extensions of the benchmark switch: the SIPp caller dials as 2001, the SIPp callee registers
# as 2002.
BENCH_TOKEN = "bench-token-0123456789abcdef0123456789"
USERS = [("2001", "bench-2001-secret", "Bench Caller"), ("2002", "bench-2002-secret", "Bench Callee")]


def free_ports(n):
    held, ports = [], []
    while len(ports) < n:
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", 0))
        port = udp.getsockname()[1]
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            tcp.bind(("127.0.0.1", port))
        except OSError:
            udp.close()
            tcp.close()
            continue
        # Holding them until all are picked keeps the N ports distinct.
        held += [udp, tcp]
        ports.append(port)
    for s in held:
        s.close()
    return ports


def write_config(d, sip, http, pmin, pmax):
    lines = [
        f'data_dir = "{d}"',
        "[sip]",
        f'listen = ["udp://127.0.0.1:{sip}"]',
        "[media]",
        'bind = "127.0.0.1"',
        f"port_min = {pmin}",
        f"port_max = {pmax}",
        # Benchmarks hold calls without RTP: the media timeout must not end them.
        "timeout_s = 0",
        "[http]",
        f'listen = "127.0.0.1:{http}"',
        "[database]",
        f'url = "sqlite://{d}/switchboard.db"',
        # The call rate measures signalling, relay and CDRs; RECORD=all adds call recording
        # (to the step's own directory).
        "[recording]",
        f'record = "{os.environ.get("RECORD", "none")}"',
        f'dir = "{d}/recordings"',
    ]
    # One extension places every call here, so its cap goes (docs/security.md, "Limits");
    # MAX_CALLS caps the calls in progress (tests/bench/overload.sh), else the RTP range does.
    lines += ["[limits]", "max_calls_per_extension = 1000000"]
    if os.environ.get("MAX_CALLS"):
        lines.append(f"max_calls = {int(os.environ['MAX_CALLS'])}")
    for ext, pw, name in USERS:
        lines += ["[[users]]", f'extension = "{ext}"', f'password = "{pw}"', f'name = "{name}"']
    # The HTTP API needs a login: the scripts read /api/status with this bearer token.
    lines += [
        "[[accounts]]",
        'username = "bench"',
        'password = "bench-password"',
        'role = "admin"',
        f'token = "{BENCH_TOKEN}"',
    ]
    path = os.path.join(d, "switchboard.toml")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def wait_http(port, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as r:
                if b"ok" in r.read():
                    return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


def read_stat(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def children(pid):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            fields = read_stat(d)
            if fields and int(fields[1]) == pid:
                out.append(int(d))
    return out


def group(pids):
    """The pids and their direct children (Kamailio forks its workers)."""
    out = []
    for p in pids:
        out.append(p)
        out += children(p)
    return out


def cpu_ticks(pid):
    fields = read_stat(pid)
    # utime + stime, all threads of the process.
    return int(fields[11]) + int(fields[12]) if fields else 0


def pss_kb(pid):
    # Proportional set size: shared pages (Kamailio's shared memory) are split among the
    # processes mapping them, so a group's sum is not inflated.
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def status_kb(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def udp_rcvbuf_errors():
    """Datagrams the kernel dropped, machine-wide, because a socket's receive buffer was full."""
    with open("/proc/net/snmp") as f:
        rows = [line.split() for line in f if line.startswith("Udp:")]
    return int(dict(zip(rows[0], rows[1])).get("RcvbufErrors", 0))


def snap(path, specs):
    with open("/proc/stat") as f:
        cpu = [int(x) for x in f.readline().split()[1:]]
    out = {"t": time.time(), "total": sum(cpu), "idle": cpu[3] + cpu[4], "groups": {}}
    out["udp_drops"] = udp_rcvbuf_errors()
    for spec in specs:
        label, pids = spec.split("=", 1)
        members = group([int(p) for p in pids.split(",") if p])
        out["groups"][label] = {
            "ticks": sum(cpu_ticks(p) for p in members),
            "pss_kb": sum(pss_kb(p) for p in members),
        }
    with open(path, "w") as f:
        json.dump(out, f)


def diff(a_path, b_path):
    with open(a_path) as f:
        a = json.load(f)
    with open(b_path) as f:
        b = json.load(f)
    dt = b["t"] - a["t"]
    busy = 1 - (b["idle"] - a["idle"]) / max(1, b["total"] - a["total"])
    out = {"wall_s": round(dt, 1), "machine_busy_pct": round(100 * busy, 1)}
    out["udp_drops"] = b.get("udp_drops", 0) - a.get("udp_drops", 0)
    for label, g in b["groups"].items():
        before = a["groups"].get(label, {}).get("ticks", 0)
        out[f"{label}_cpu_pct"] = round(100 * (g["ticks"] - before) / HZ / max(dt, 1e-3), 1)
        out[f"{label}_pss_kb"] = g["pss_kb"]
    return out


def sipp_ms(s):
    # SIPp durations look like HH:MM:SS:mmm (sometimes with microseconds appended).
    p = s.split(":")
    try:
        return round(int(p[0]) * 3600e3 + int(p[1]) * 60e3 + int(p[2]) * 1e3 + float(p[3][:3]), 1)
    except (IndexError, ValueError):
        return None


def sipp_stat(path):
    with open(path) as f:
        rows = list(csv.reader(f, delimiter=";"))
    if len(rows) < 2:
        return None
    hdr = rows[0]
    recs = [dict(zip(hdr, r)) for r in rows[1:]]
    last = recs[-1]
    n = lambda k, r=last: int(r.get(k) or 0)
    ok, failed = n("SuccessfulCall(C)"), n("FailedCall(C)")
    created = n("OutgoingCall(C)")
    # Calls neither finished nor failed when SIPp stopped count as failed too.
    lost = max(0, created - ok - failed)
    per_s = sorted(n("OutgoingCall(P)", r) for r in recs[1:-1] if n("OutgoingCall(P)", r) > 0)
    total = ok + failed + lost
    return {
        "created": created,
        "ok": ok,
        "failed": failed + lost,
        "fail_pct": round(100 * (failed + lost) / total, 4) if total else None,
        "retrans": n("Retransmissions(C)"),
        "max_concurrent": max((n("CurrentCall", r) for r in recs), default=0),
        "setup_ms_avg": sipp_ms(last.get("ResponseTime1(C)", "")),
        "setup_ms_stdev": sipp_ms(last.get("ResponseTime1StDev(C)", "")),
        "achieved_cps_median": per_s[len(per_s) // 2] if per_s else 0,
    }


def received(path, code):
    # -trace_counts: one row per period, columns like "3_503_Recv"; the last row is cumulative.
    with open(path) as f:
        rows = list(csv.reader(f, delimiter=";"))
    hdr, last = rows[0], rows[-1]
    cols = [i for i, h in enumerate(hdr) if h.split("_")[1:] == [code, "Recv"]]
    return sum(int(last[i] or 0) for i in cols)


def status(port, key):
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/status", headers={"Authorization": f"Bearer {BENCH_TOKEN}"}
    )
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.load(r).get(key)


def report(path):
    with open(path) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    print(f"{'mode':<12} {'rate':>6} {'ok':>8} {'fail %':>8} {'setup ms':>9} {'target CPU %':>13} {'target MB':>10}  pass")
    best = {}
    for r in rows:
        st = r.get("stats") or {}
        cpu = r.get("cpu") or {}
        fail = st.get("fail_pct")
        passed = fail is not None and fail < MAX_FAIL_PCT and st.get("ok", 0) > 0
        t_cpu = cpu.get("target_cpu_pct", "-")
        mem = r.get("target_rss_kb") or cpu.get("target_pss_kb") or 0
        print(
            f"{r['mode']:<12} {r['rate']:>6} {st.get('ok', 0):>8} {fail if fail is not None else '-':>8} "
            f"{st.get('setup_ms_avg', '-'):>9} {t_cpu:>13} {mem / 1024:>10.1f}  {'yes' if passed else 'NO'}"
        )
        if passed:
            best[r["mode"]] = max(best.get(r["mode"], 0), r["rate"])
    print()
    for mode, rate in best.items():
        print(f"max passing rate {mode:<12} {rate:>6} calls/s")
    sw = best.get("switch")
    for ref in ("direct", "kamailio"):
        if sw and best.get(ref):
            print(f"ratio switch / {ref}: {sw / best[ref]:.2f} (lower bound: only offered rates are tried)")


def main(argv):
    cmd = argv[1] if len(argv) > 1 else "help"
    if cmd == "ports":
        print(" ".join(str(p) for p in free_ports(int(argv[2]))))
    elif cmd == "config":
        print(write_config(argv[2], *[int(x) for x in argv[3:7]]))
    elif cmd == "wait-http":
        return 0 if wait_http(int(argv[2]), float(argv[3]) if len(argv) > 3 else 20) else 1
    elif cmd == "snap":
        snap(argv[2], argv[3:])
    elif cmd == "diff":
        print(json.dumps(diff(argv[2], argv[3])))
    elif cmd == "mem":
        pid = int(argv[2])
        print(json.dumps({"rss_kb": status_kb(pid, "VmRSS"), "hwm_kb": status_kb(pid, "VmHWM")}))
    elif cmd == "stat":
        print(json.dumps(sipp_stat(argv[2])))
    elif cmd == "received":
        print(received(argv[2], argv[3]))
    elif cmd == "status":
        print(status(int(argv[2]), argv[3]))
    elif cmd == "report":
        report(argv[2])
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
