"""The visualization tests import their data from report_data.py and the browser helper next to them."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
