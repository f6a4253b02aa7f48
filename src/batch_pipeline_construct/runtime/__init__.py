"""Code that runs inside AWS (the arrival Lambda and job containers).

Nothing in this package imports aws-cdk-lib: it is shipped as the arrival function's asset (as
the top-level package ``runtime``, handler ``runtime.arrival_handler.handler``) and can be used
in a job image that installs this distribution with ``pip install --no-deps``.

The arrival path, in the order a file goes through it: :mod:`.s3_events` (parse a message),
:mod:`.idempotency` (claim the object version), :mod:`.contract` (the job's environment and
name), :mod:`.submission` (SubmitJob with backoff), :mod:`.dispatch` (the three together),
:mod:`.arrival_handler` and :mod:`.bulk` (the Lambda entry point, per-file and bulk mode).
In job containers: :mod:`.job_resolver`. For operators: :mod:`.operator`.
"""
