"""Code that runs inside AWS (the arrival Lambda and job containers).

Nothing in this package imports aws-cdk-lib: it is shipped as the arrival function's asset and
can be used in a job image that installs this distribution with ``pip install --no-deps``.
"""
