"""``python -m batch_pipeline_construct.runtime.operator``: the operator commands."""

import sys

from .cli import main

sys.exit(main())
