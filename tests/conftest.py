"""Test-wide settings: Qt renders offscreen, nothing waits for real time."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
