#!/usr/bin/python3
"""Q4 (light, no Firefox): X GetImage 1280x800 of a bare Xvfb 3840x2160x24 (the session's screen size), timed."""
import os, subprocess, signal, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import xgrab
r, w = os.pipe()
x = subprocess.Popen(["Xvfb", "-displayfd", str(w), "-screen", "0", "3840x2160x24", "-nolisten", "tcp", "-noreset"], pass_fds=[w], stderr=subprocess.DEVNULL, start_new_session=True)
os.close(w); d = int(os.read(r, 16)); os.close(r)
try:
    for size in ((1280, 800), (2560, 1600)):
        res, _ = xgrab.bench(d, *size, n=20)
        print(size, res)
finally:
    os.killpg(x.pid, signal.SIGTERM); x.wait()
