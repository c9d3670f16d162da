"""What the tray and the console do to a target, as jobs (Vorta's ``borg_job.py`` shape).

Each job holds one action: :meth:`~base.Job.prepare` (UI thread: check the input, build what
``run`` needs; no side effects), :meth:`~base.Job.run` (a worker: the core call), then
:meth:`~base.Job.result` or :meth:`~base.Job.failed` (UI thread: notifications, signals, the
model). ``TargetSession.start(job)`` takes a job through the action gate, the Log and the worker.
"""
