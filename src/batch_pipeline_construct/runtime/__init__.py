"""Code that runs inside AWS and on an operator's machine; nothing here imports aws-cdk-lib.

Split by audience:

- :mod:`.arrival`: the arrival Lambda (shipped as the function's asset, top-level package
  ``runtime``, handler ``runtime.arrival.handler.handler``).
- :mod:`.job`: the job container's side: the job contract, manifests and the job resolver
  (self-contained; staged into job images as ``batch_pipeline_job``, run as
  ``python3 -m batch_pipeline_job.resolver -- CMD``).
- :mod:`.operator`: the operator commands run against a deployed pipeline.
- :mod:`.settings`, :mod:`.clients`, :mod:`.logs`: what those share.
"""
