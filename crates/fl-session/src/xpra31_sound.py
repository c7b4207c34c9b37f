"""Xpra 3.1's sound process, with the lost wake-up of its packet queue mended (issue 22).

Xpra 3.1 captures a session's sound in a subprocess (`xpra _sound_record`) that hands each Opus
packet to the server through `subprocess_callee.send`: the packet goes into a queue and an event
wakes the protocol's format thread, which takes one packet per `get_packet` call and clears the
event unless told that more are queued. 3.1's `subprocess_callee.get_packet` answers in the wrong
shape: its "more queued" lands in the protocol's `fail_cb` slot, so the thread clears the event
after every packet. Two packets queued before the thread runs (a sound packet and the pipeline's
`info`, five times a second) then leave one behind for good, and the sound reaches the browser
later and later: measured 49.2 packets/s arriving for 50 produced, +16 ms of delay per second.
`subprocess_caller.get_packet`, in the same file, has the right shape, and Xpra 4 fixed the
callee's.

Here the format thread takes packets as a plain consumer: it waits on the queue itself and is
always told "more", so the event no longer decides anything and nothing is left behind.

The sidecar runs this file with Xpra's interpreter as XPRA_SOUND_COMMAND's script, with Xpra's
own script as the first argument. Xpra other than 3.x (or no importable xpra) runs unchanged.
"""
import os
import queue
import runpy
import sys

# How long the format thread waits for a packet before it looks at whether its protocol closed.
WAIT_SECONDS = 0.5


def get_packet(self):
    try:
        item = self.send_queue.get(timeout=WAIT_SECONDS)
    except queue.Empty:
        item = None
    # Protocol._add_packet_to_queue(packet, start_send_cb, end_send_cb, fail_cb, synchronous, has_more)
    return (item, None, None, None, False, True)


def mend():
    """Replaces 3.1's `subprocess_callee.get_packet`; False (nothing changed) for any other Xpra."""
    try:
        import xpra
        from xpra.net import subprocess_wrapper
    except ImportError:
        return False
    if not str(getattr(xpra, "__version__", "")).startswith("3."):
        return False
    subprocess_wrapper.subprocess_callee.get_packet = get_packet
    return True


def main():
    xpra = sys.argv[1]
    # As if Xpra's script had been run itself: its argv, its directory first on the path.
    sys.argv = sys.argv[1:]
    sys.path[0] = os.path.dirname(xpra)
    mend()
    runpy.run_path(xpra, run_name="__main__")


if __name__ == "__main__":
    main()
