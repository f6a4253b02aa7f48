"""Settings shared by the whole test suite (tests/ only: see [tool.pytest.ini_options]).

* ``batch_pipeline_construct.testing`` is loaded as a plugin, exactly as a user's conftest would,
  so its ``template_snapshot`` fixture is available everywhere; ``pytester`` lets tests run an
  inner pytest session.
* Hypothesis: the ``ci`` profile (derandomized, so a failure reproduces on every run, and no
  deadline, because shared CI runners are slow) is used when ``CI`` is set; ``dev`` otherwise.
  ``HYPOTHESIS_PROFILE`` picks one explicitly.
"""

import os

from hypothesis import settings

pytest_plugins = ["batch_pipeline_construct.testing", "pytester"]

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))
