"""Performance comparison, flag on vs off: A/B runs on the live app, statistics, tiers, charts.

``runner.compare`` drives the runs, ``stats.summarize`` turns samples into a median ratio with a
bootstrap interval, ``tiers`` maps that interval onto the runbook's degradation bands. Everything
here is plain Python except ``charts`` (Qt, imported only by whoever draws).
"""
