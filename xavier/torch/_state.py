"""What each thread is inside: ``fast_init`` blocks (their depth and
threads) and the recorder of a ``save_init`` build."""
from __future__ import annotations

import threading
from typing import Any, Optional


class _Local(threading.local):
    depth = 0
    threads: Optional[int] = None
    recorder: Any = None     # the _record.Recorder of a save_init build in this thread


_local = _Local()
