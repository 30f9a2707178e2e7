"""``python -m broker.cli``: the same as the ``saattaja`` command."""

import sys

from broker.cli import main

sys.exit(main())
