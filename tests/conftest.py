"""Test-wide settings: Qt renders offscreen, nothing waits for real time, and Python keeps
its bytecode caches.

Where the environment sets PYTHONDONTWRITEBYTECODE (container images often do), every
process compiles labspin's 35 000 lines again, and pytest rewrites the assertions of its
230 test modules on every run: about 3 s of CPU in the suite's own process and half a
second in each ``python -m labspin`` the tests start. The suite turns caching back on for
itself and its child processes (the ``__pycache__`` folders are ignored by git).
"""

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False
