"""Counts the AWS API requests the emulator answers, for the benchmark (requests per provision/phase).

``GET /_emulator/requests`` reads the counts, ``DELETE /_emulator/requests`` reads and resets them in
one step (so that no request falls between a read and a reset). The emulator's own API and moto's
``/moto-api`` are not AWS requests and are not counted; neither are calls the emulator's background
threads make in-process. REST-style requests (Route 53) are counted as ``<METHOD> <first path part>``.
"""

from __future__ import annotations

import threading
from collections import Counter


class RequestCounter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, str, str]] = Counter()

    def count(self, service: str | None, region: str | None, action: str | None, method: str, path: str) -> None:
        if action is None:
            parts = [p for p in path.split("/") if p]
            action = f"{method} /{parts[1] if len(parts) > 1 else (parts[0] if parts else '')}"
        with self._lock:
            self._counts[(service or "unknown", region or "unknown", action)] += 1

    def snapshot(self, reset: bool = False) -> dict:
        with self._lock:
            counts = dict(self._counts)
            if reset:
                self._counts.clear()
        by_service: Counter[str] = Counter()
        by_action: Counter[str] = Counter()
        for (service, _region, action), n in counts.items():
            by_service[service] += n
            by_action[f"{service}:{action}"] += n
        return {"total": sum(counts.values()), "by_service": dict(sorted(by_service.items())),
                "by_action": dict(by_action.most_common())}

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()


COUNTER = RequestCounter()
