"""Calling Cognito for many users at once: a few worker threads, a bounded window, clean interrupts.

The rate limiter paces the calls; threads only keep enough of them in flight to use the quota.

    for result in map_in_threads(migrate_one, users, workers=16, name="admin"):
        journal(result)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TypeVar

_Item = TypeVar("_Item")
_Result = TypeVar("_Result")


def map_in_threads(
    task: Callable[[_Item], _Result],
    items: Iterable[_Item],
    *,
    workers: int,
    name: str,
    stop_on: tuple[type[BaseException], ...] = (KeyboardInterrupt,),
) -> Iterator[_Result]:
    """``task(item)`` for each item on ``workers`` threads; one result per item, as each finishes.

    At most ``2 × workers`` items are taken from ``items`` ahead of their results, so a million users
    never become a million futures. On one of ``stop_on`` (Ctrl-C, or an error raised while taking the
    next item) no further item starts; those already running finish and their results are still
    yielded, then the exception is raised. An item taken but never yielded may or may not have been
    done: the caller treats it as in doubt.
    """
    executor = ThreadPoolExecutor(workers, thread_name_prefix=name)
    pending: set[Future[_Result]] = set()
    try:
        for item in items:
            pending.add(executor.submit(task, item))
            if len(pending) >= 2 * workers:
                yield from _finished(pending)
        while pending:
            yield from _finished(pending)
    except stop_on:
        for future in pending:
            future.cancel()
        yield from (future.result() for future in pending if not future.cancelled())
        raise
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def _finished(pending: set[Future[_Result]]) -> Iterator[_Result]:
    """The results of the futures done now (waiting for at least one), each removed from ``pending``
    before it is read, so an interrupt leaves exactly the unreported ones there."""
    done, _ = wait(pending, return_when=FIRST_COMPLETED)
    for future in done:
        pending.discard(future)
        yield future.result()
