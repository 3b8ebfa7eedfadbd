#!/usr/bin/env python3
"""
Who had the CPUs while the page's main thread ran a long task.

Reads Chrome traces written by `browser_bench.js --trace` and the scheduler switches recorded
beside them by `perf record -k CLOCK_MONOTONIC -e sched:sched_switch -a` (Chrome's trace clock
and perf's are then both CLOCK_MONOTONIC). For every main-thread task of at least --min-ms after
the navigation's own first task, it prints the main thread's time on CPU (ON), runnable but
waiting for a CPU (R) and asleep (S, D), and the CPU time each other thread got in the same
window; then the means over all tasks. Usage:

    perf record -q -k CLOCK_MONOTONIC -e sched:sched_switch -a -o sched.data &
    node bench/browser_bench.js ... --trace /tmp/tr        # writes /tmp/tr-1.json, ...
    kill -INT %1
    perf script -i sched.data -F comm,tid,cpu,time,event,trace > sched.txt
    bench/longtask_sched.py sched.txt /tmp/tr-*.json
"""
import argparse
import collections
import json
import re

SWITCH = re.compile(r'^\s*.+?\s+\d+\s+\[(\d+)\]\s+([\d.]+): sched:sched_switch: prev_comm=.* '
                    r'prev_pid=(\d+) prev_prio=\d+ prev_state=(\S+) ==> next_comm=(.*) '
                    r'next_pid=(\d+) next_prio=\d+')


def read_switches(path):
    """(time s, cpu, prev tid, prev state, next tid, next comm), in time order."""
    out = []
    with open(path) as f:
        for line in f:
            m = SWITCH.match(line)
            if m:
                out.append((float(m.group(2)), int(m.group(1)), int(m.group(3)), m.group(4),
                            int(m.group(6)), m.group(5)))
    return out


def long_tasks(trace_path, min_ms):
    """The main thread's tid, its thread names by tid, and its long tasks as (start s, end s)."""
    with open(trace_path) as f:
        t = json.load(f)
    events = t['traceEvents'] if isinstance(t, dict) else t
    procs = {e['pid']: e['args']['name'] for e in events
             if e.get('ph') == 'M' and e.get('name') == 'process_name'}
    threads = {}
    mains = set()
    for e in events:
        if e.get('ph') == 'M' and e.get('name') == 'thread_name':
            threads[e['tid']] = f"{procs.get(e['pid'], '?')}/{e['args']['name']}"
            if e['args']['name'] == 'CrRendererMain':
                mains.add(e['tid'])
    tasks = sorted((e['ts'] / 1e6, (e['ts'] + e['dur']) / 1e6, e['tid']) for e in events
                   if e.get('tid') in mains and e.get('ph') == 'X' and e.get('name') == 'RunTask'
                   and e.get('dur', 0) >= min_ms * 1000)
    return threads, tasks[1:]  # the first is the navigation's commit: Chrome's, not the page's


def attribute(switches, start, end, main):
    """Main thread's state times and other threads' CPU times within [start, end)."""
    running = {}
    state = None
    since = start
    states = collections.Counter()
    cpu = collections.Counter()
    for ts, c, prev, prev_state, nxt, comm in switches:
        if ts >= end:
            break
        if ts < start:
            running[c] = (nxt, comm, ts)
            state = prev_state if prev == main else 'ON' if nxt == main else state
            continue
        if c in running:
            tid, name, t0 = running[c]
            cpu[(tid, name)] += ts - max(t0, start)
        running[c] = (nxt, comm, ts)
        if prev == main or nxt == main:
            states[state] += ts - since
            state, since = (prev_state, ts) if prev == main else ('ON', ts)
    for tid, name, t0 in running.values():
        cpu[(tid, name)] += end - max(t0, start)
    states[state] += end - since
    return states, cpu


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('sched', help='perf script output (comm,tid,cpu,time,event,trace)')
    ap.add_argument('traces', nargs='+', help='Chrome traces of browser_bench.js --trace')
    ap.add_argument('--min-ms', type=float, default=50)
    ap.add_argument('--top', type=int, default=14)
    a = ap.parse_args()
    switches = read_switches(a.sched)
    n = 0
    all_states = collections.Counter()
    all_cpu = collections.Counter()
    for path in a.traces:
        threads, tasks = long_tasks(path, a.min_ms)
        for start, end, main_tid in tasks:
            states, cpu = attribute(switches, start, end, main_tid)
            named = collections.Counter()
            for (tid, comm), s in cpu.items():
                named['page main thread' if tid == main_tid
                      else 'idle' if tid == 0 else threads.get(tid, comm)] += s
            n += 1
            all_states.update(states)
            all_cpu.update(named)
            print(f"{path} task {(end - start) * 1000:.0f} ms: main "
                  + ', '.join(f'{k} {v * 1000:.1f}' for k, v in states.most_common())
                  + ' | ' + ', '.join(f'{k} {v * 1000:.1f}' for k, v in named.most_common(6)))
    if n == 0:
        print('no long tasks')
        return
    print(f'\n{n} tasks; main thread, ms per task: '
          + ', '.join(f'{k} {v * 1000 / n:.1f}' for k, v in all_states.most_common()))
    print('CPU time of the machine during them, ms per task:')
    for k, v in all_cpu.most_common(a.top):
        print(f'  {v * 1000 / n:6.1f}  {k}')


if __name__ == '__main__':
    main()
