"""A sliding-window counter of sign-in attempts per key (client address, user name).

In memory, per process: enough to make guessing passwords or hammering the identity
provider's callback slow; a site with several central instances behind a balancer also
limits at the balancer.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque


class RateLimiter:
    def __init__(self, limit: int, window_s: float, clock: object = time.monotonic) -> None:
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def hit(self, key: str) -> bool:
        """Count an attempt for ``key``; False if it is over the limit (the attempt is refused)."""
        now = self._clock()  # type: ignore[operator]
        with self._lock:
            q = self._hits[key]
            while q and q[0] <= now - self.window_s:
                q.popleft()
            if len(q) >= self.limit:
                return False
            q.append(now)
            if len(self._hits) > 100_000:  # a flood of distinct keys must not grow memory for ever
                self._hits = defaultdict(deque, {k: v for k, v in self._hits.items() if v})
            return True

    def retry_after(self, key: str) -> int:
        with self._lock:
            q = self._hits.get(key)
            if not q:
                return 0
            return max(1, int(q[0] + self.window_s - self._clock()))  # type: ignore[operator]
