#!/usr/bin/env python3
"""A site's events page (JSON on stdin) -> for each type named, the epoch ms of its first event from <since ms> - 1 s
on, or "none"; one line, space-separated. Used by run.sh (eligibility-order)."""
import json, sys
from datetime import datetime

since = int(sys.argv[1]) - 1000
page = json.load(sys.stdin)
events = page["items"] if isinstance(page, dict) else page


def ms(ts):
    return int(datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp() * 1000)


first = []
for kind in sys.argv[2:]:
    times = [ms(e["ts"]) for e in events if e["type"] == kind and ms(e["ts"]) >= since]
    first.append(str(min(times)) if times else "none")
print(" ".join(first))
