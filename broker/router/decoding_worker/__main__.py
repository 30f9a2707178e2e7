"""``python -m broker.router.decoding_worker``: how the router's DecodingPool starts a worker.

A ``__main__`` of its own, so that the module the router imports is not run a second time
as ``__main__`` (runpy warns of that, on every start of every worker).
"""

from broker.router.decoding_worker import main

main()
