"""Run as a separate process by test_watch.py: open ``ragtune tui``'s app on a DuckDB file that another
process is optimising, and print (one JSON line each) the number of finished trials the screen shows
until it has seen the count grow, or the time is up."""

from __future__ import annotations

import asyncio
import json
import sys
import time

from ragtune.cli.common import open_for_reading
from ragtune.core.trial_state import TrialState
from ragtune.tui import create_app
from ragtune.tui.screens import StudyScreen


async def main(url: str, study: str, deadline: float) -> None:
    app = create_app(open_for_reading(url), study, refresh_interval=0.3)
    seen: list[int] = []
    async with app.run_test(size=(120, 40)) as pilot:
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            await pilot.pause(0.3)
            screen = app.screen
            if isinstance(screen, StudyScreen) and screen.model is not None:
                n = sum(t.state is not TrialState.RUNNING for t in screen.model.trials)
                if not seen or n != seen[-1]:
                    seen.append(n)
                    print(json.dumps({"finished": n, "sub_title": screen.sub_title}), flush=True)
                if len(seen) >= 2 and seen[-1] > seen[0] > 0:
                    break
    app.storage.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3])))
