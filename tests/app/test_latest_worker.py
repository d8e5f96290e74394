"""LatestWorker: only the newest request is delivered; errors are delivered, not raised."""

import threading

from app.model.latest_worker import LatestWorker


def test_only_the_newest_of_queued_requests_runs_and_is_delivered():
    worker = LatestWorker()
    started, gate, ran, delivered = threading.Event(), threading.Event(), [], []

    def first():
        started.set()
        gate.wait()
        ran.append("first")
        return 1

    worker.submit(first, delivered.append)
    assert started.wait(10)
    for value in (2, 3, 4):
        worker.submit(lambda v=value: ran.append(v) or v, delivered.append)
    gate.set()
    assert worker.wait_until_idle(10)
    worker.close()
    assert ran == ["first", 4]  # 2 and 3 were superseded before they started
    assert [r.value for r in delivered] == [4]  # "first" finished after newer requests


def test_errors_are_delivered_with_their_message():
    worker = LatestWorker()
    delivered = []
    worker.submit(lambda: 1 / 0, delivered.append)
    worker.wait_until_idle(10)
    worker.close()
    assert delivered[0].value is None and "ZeroDivisionError" in delivered[0].error


def test_cancel_drops_the_running_result():
    worker = LatestWorker()
    gate, delivered = threading.Event(), []
    worker.submit(lambda: gate.wait(), delivered.append)
    worker.cancel()
    gate.set()
    worker.wait_until_idle(10)
    worker.close()
    assert delivered == []


def test_a_closed_worker_stops_its_thread_and_refuses_requests():
    worker = LatestWorker(name="LatestWorker-test")
    worker.close()
    assert not any(t.name == "LatestWorker-test" for t in threading.enumerate())
    try:
        worker.submit(lambda: 1, print)
    except RuntimeError:
        pass
    else:
        raise AssertionError("a closed worker accepted a request")
