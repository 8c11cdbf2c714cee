"""scripts/mutation_runner.py: what a child forked from the warm test process needs to await
the SDK's monitor calls (they run in the event loop's default executor)."""
import asyncio
import os
import time

from scripts import mutation_runner


def _child_awaiting_its_executor(calls: int) -> int:
    pid = os.fork()
    if pid == 0:
        code = 2
        try:
            mutation_runner.loop_of_its_own()
            loop = asyncio.get_event_loop()
            for _ in range(calls):  # each completion wakes the loop through its self-pipe
                loop.run_until_complete(loop.run_in_executor(None, time.sleep, 0))
            code = 0
        finally:
            os._exit(code)
    return pid


def test_sibling_children_forked_from_a_live_loop_each_get_their_own_wakeups():
    # The parent's loop has run executor work, as the runner's has after mapping the tests:
    # its executor has threads (not copied by a fork) and its self-pipe is registered in its
    # epoll (shared by every child). Sharing either, a child waited in select for good.
    before = asyncio.get_event_loop()
    parent = asyncio.new_event_loop()
    asyncio.set_event_loop(parent)
    try:
        parent.run_until_complete(parent.run_in_executor(None, time.sleep, 0))
        pids = [_child_awaiting_its_executor(2000) for _ in range(2)]
        codes, deadline = {}, time.monotonic() + 30
        while len(codes) < len(pids) and time.monotonic() < deadline:
            for pid in set(pids) - set(codes):
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    codes[pid] = os.waitstatus_to_exitcode(status)
            time.sleep(0.01)
        for pid in set(pids) - set(codes):  # still waiting: the bug
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        assert [codes.get(pid) for pid in pids] == [0, 0]
    finally:
        parent.close()
        asyncio.set_event_loop(before)
