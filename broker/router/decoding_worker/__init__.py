"""A decoding worker: a process that decodes the batches its router sends it.

The router's DecodingPool starts it as ``python -m broker.router.decoding_worker`` and
talks to it over its standard input and output in frames: a length (4 bytes, big-endian)
and a pickle. The first frame in is the codec, the pseudonym secret with it, which is why
it travels on the pipe rather than on the command line or in the environment. Each frame
after it is a list of records, answered by one frame holding what each decodes to, in
order. The worker ends when its input ends: when the router closes it, or exits.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import struct
import sys
from typing import Any, BinaryIO, Final

from broker.router.collector import settle_collector
from broker.router.decoder import decode_record, warm_up
from schemas import EventCodec

__all__ = ["FRAME_HEADER", "frame", "main", "prepare", "serve"]

FRAME_HEADER: Final = struct.Struct(">I")
"""The length of the pickle that follows."""

_WORKER_NICENESS: Final = 10


def frame(value: object) -> bytes:
    """``value`` as one frame."""
    body = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return FRAME_HEADER.pack(len(body)) + body


def _read_frame(frames_in: BinaryIO) -> Any:
    """The next frame's value; None when the input ends, even in the middle of a frame."""
    header = frames_in.read(FRAME_HEADER.size)
    if len(header) < FRAME_HEADER.size:
        return None
    (size,) = FRAME_HEADER.unpack(header)
    body = frames_in.read(size)
    if len(body) < size:
        return None
    # The router process, which started this one, is the only writer of this pipe.
    return pickle.loads(body)  # noqa: S301


def serve(codec: EventCodec, frames_in: BinaryIO, frames_out: BinaryIO) -> None:
    """Answer each batch of records until the input ends."""
    while (records := _read_frame(frames_in)) is not None:
        frames_out.write(frame([decode_record(codec, record) for record in records]))
        frames_out.flush()


def prepare(codec: EventCodec) -> None:
    """Lower this process's priority, warm the FHIR models and settle the collector."""
    if hasattr(os, "nice"):
        # Below the router's event loop: on cores they share, the loop's turn for every
        # event's I/O comes before validation, which takes whatever cycles are left.
        os.nice(_WORKER_NICENESS)
    warm_up(codec)
    settle_collector()  # the FHIR models just loaded are most of a worker's heap


def main() -> None:
    """Serve the router process that started this one."""
    # Ctrl-C in a terminal reaches every process of the group; the router stops its
    # workers itself, by closing their input, once it has finished the batch in hand.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Frames leave by the original standard output; whatever else writes there (a
    # library's print) goes to standard error instead, where it cannot break a frame.
    frames_out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    frames_in = sys.stdin.buffer
    codec = _read_frame(frames_in)
    if not isinstance(codec, EventCodec):
        return  # the router went before it sent the codec
    prepare(codec)
    # A router that is gone (killed) closes the pipe under an answer being written: the
    # worker ends as it would at the end of its input.
    with frames_out, contextlib.suppress(BrokenPipeError):
        serve(codec, frames_in, frames_out)
