"""Drives Xpra 3.1's own sound-process send path (subprocess_callee.send → Protocol's format
thread) as the sound process does, and prints which packets reached the protocol's writer.

argv: the path of crates/fl-session/src/xpra31_sound.py, then "mended" (its mend() applied) or
"as-shipped". Two packets are sent back to back while the format thread is parked on its event,
as a sound packet and the pipeline's `info` are when they come out of one main-loop turn.
"""
import importlib.util
import json
import os
import queue
import sys
import threading
import time

from xpra.net.bytestreams import TwoFileConnection
from xpra.net.protocol import Protocol
from xpra.net.subprocess_wrapper import setup_fastencoder_nocompression, subprocess_callee

spec = importlib.util.spec_from_file_location("xpra31_sound", sys.argv[1])
shim = importlib.util.module_from_spec(spec)
spec.loader.exec_module(shim)
mended = shim.mend() if sys.argv[2] == "mended" else False

written = []
all_written = threading.Condition()


class Recording(Protocol):
    """The real protocol up to its writer: what would go to the pipe is recorded instead."""

    def raw_write(self, packet_type, items, *args, **kwargs):
        with all_written:
            written.append(packet_type if isinstance(packet_type, str) else packet_type.decode())
            all_written.notify_all()


class Scheduler:
    @staticmethod
    def idle_add(*_args, **_kwargs):
        return 0

    timeout_add = idle_add
    source_remove = idle_add


callee = subprocess_callee.__new__(subprocess_callee)
callee.send_queue = queue.Queue()
# A real pipe for the connection, though nothing reaches it (raw_write records instead).
read_end, write_end = os.pipe()
conn = TwoFileConnection(os.fdopen(write_end, "wb", 0), os.fdopen(read_end, "rb", 0), target="probe", socktype="probe")
callee.protocol = Recording(Scheduler(), conn, lambda *_: None, get_packet_cb=callee.get_packet)
setup_fastencoder_nocompression(callee.protocol)


def wait_for(count, seconds):
    with all_written:
        all_written.wait_for(lambda: len(written) >= count, timeout=seconds)


# The format thread starts on the first send; once it has written that packet it waits.
callee.send("warm-up")
wait_for(1, 5)
time.sleep(0.2)
# No thread switch between the two sends (as within one main-loop callback).
sys.setswitchinterval(1.0)
callee.send("new-buffer", b"opus")
callee.send("info", {})
sys.setswitchinterval(0.005)
wait_for(3, 2)
print(json.dumps({"mended": mended, "written": written}))
callee.protocol._closed = True
