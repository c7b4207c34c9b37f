"""Sound (issue 22): Firefox's sound in the tab, measured in real Chromium through JupyterLab's proxy.

For each Xpra (Debian's 3.1.3, serve's default, and 6.5 with `--xpra6`) a sidecar with sound on
(serve's default) and one Firefox session showing bench/stream/page.html; a Jupyter server whose
jupyter-server-proxy routes to them (as the stream phase's own31/own65 rows; no peer). Headless
Chromium opens our client's page at 1280×800 and bench/stream/sound.mjs measures:

  onset      the page in Firefox starts a 1000 Hz tone of 500 ms at every even second of the wall
             clock; the tab's time from that second to hearing it (its own probe, polled every
             ~4 ms) and to its graph playing the first tone sample; `--sound-trials` tones;
  bandwidth  a steady tone on the still page, 10 s with sound on and 10 s muted (the tab's mute
             button: Xpra stops sending): bytes Chromium's sockets received (ss), and the raw
             Opus bytes the client handed to its decoder;
  fps        the stream phase's animation measure (frames shown at the client), with sound on
             (a steady tone, forwarded) and off (no tone, muted), alternating, `--sound-rounds`.

The gesture: one click on Firefox's page through the client: a pointerdown in the tab (Chromium's
autoplay policy lets the client's AudioContext run) and, through Xpra, a real click in Firefox
(page.html makes its AudioContext on it). No autoplay switch in either browser.
"""
import os
import statistics
import subprocess
from pathlib import Path

import stream
from sections import put_section

PATHS = ("own31", "own65")
VARIANTS = {
    "own31": {"args": [], "id": "sound31", "reader": "paint", "query": "", "proxy_name": "firefox-launcher-sound31",
              "label": "Xpra 3.1.3"},
    "own65": {"args": ["--xpra", "XPRA6"], "id": "sound65", "reader": "paint", "query": "video=true",
              "proxy_name": "firefox-launcher-sound65", "label": "Xpra 6.5.5"},
}
SIZE = (1280, 800)
ONSET_TARGET_MS = 200
BANDWIDTH_TARGET_KBIT = 160
FPS_TARGET = 0.95

BEGIN = "<!-- sound section: written by `scripts/bench --only sound` (and the full run); the next such run replaces it -->"
END = "<!-- end of the sound section -->"


def phase_sound(ctx, res, Serve, log):
    wanted = [p for p in ctx.sound_paths.split(",") if p]
    pages = stream.PageServer()
    sessions = {}
    jupyter = None
    rows = []
    try:
        for name in wanted:
            variant = VARIANTS[name]
            sessions[name] = stream.Session(ctx, Serve, f"sound-{name}", variant, pages)
            log(f"sound: {name} session on port {sessions[name].port} (serve {' '.join(variant['args'])})")
        jupyter = stream.Jupyter(ctx, sessions, pages.page_url("vnc"), log, warm_peer=False, name="jupyter-sound")
        width, height = SIZE
        for name in wanted:
            sess = sessions[name]
            url = f"http://127.0.0.1:{jupyter.port}/{sess.variant['proxy_name']}/sessions/{sess.port}/?token={jupyter.token}"
            if sess.variant["query"]:
                url += "&" + sess.variant["query"]
            roots = sess.cpu_roots() + [{"pid": jupyter.proc.pid, "cls": "proxy", "tree": False}]
            r = stream.probe(ctx, pages, {"id": sess.variant["id"], "path": name, "url": url, "width": width, "height": height,
                                          "serverPort": jupyter.port, "reader": "paint", "cpu": {"roots": roots, "sound": True}, "modes": ["sound"],
                                          "trials": ctx.sound_trials, "rounds": ctx.sound_rounds}, log)
            r["path"] = name
            if r.get("error"):
                # What the session's own PulseAudio had connected when the tab heard nothing: tells
                # Firefox not playing into it from Xpra not capturing its speaker.
                r["pulse"] = _pulse_state(sess)
                log(f"sound: {name}: the session's PulseAudio after the failure:\n{r['pulse']}")
            rows.append(r)
    except Exception as e:  # noqa: BLE001 -- the rows measured so far are still reported
        log(f"sound phase failed: {type(e).__name__}: {e}")
        res.setdefault("errors", []).append(f"sound phase: {type(e).__name__}: {e}")
    finally:
        res["sound"] = {"rows": rows, "xpra6": ctx.xpra6 if "own65" in sessions else None, "size": list(SIZE),
                        "trials": ctx.sound_trials, "rounds": ctx.sound_rounds, "seconds": ctx.stream_seconds}
        if jupyter:
            jupyter.stop()
        for sess in sessions.values():
            sess.stop()
        pages.close()


def _pulse_state(sess):
    socket = sess.dir / "xdg" / "runtime" / "pulse" / "native"
    # pactl writes a cookie under its home on connecting: the session's, which goes with it.
    env = {**os.environ, "HOME": str(sess.dir / "xdg"), "XDG_CONFIG_HOME": str(sess.dir / "xdg" / "config")}
    out = []
    for what in (["list", "short", "sinks"], ["list", "short", "sources"], ["list", "sink-inputs"], ["list", "source-outputs"]):
        try:
            done = subprocess.run(["pactl", "--server", f"unix:{socket}", *what], capture_output=True, text=True, timeout=10, env=env)
            out.append(f"$ pactl {' '.join(what)}\n{done.stdout}{done.stderr}")
        except (OSError, subprocess.TimeoutExpired) as e:
            out.append(f"$ pactl {' '.join(what)}: {e}")
    return "\n".join(out)


def _med(xs):
    xs = [x for x in xs if isinstance(x, (int, float))]
    return statistics.median(xs) if xs else None


def _fmt(v, spec="{:.0f}"):
    return "–" if v is None else spec.format(v)


def _kbit(bytes_per_s):
    return None if bytes_per_s is None else bytes_per_s * 8 / 1000


def _fps(row, which, key="fps"):
    return _med([w.get(key) for w in (row.get("sound") or {}).get("fps", []) if w.get("which") == which])


CPU_CLASSES = (("server", "Xpra"), ("sound", "sound"), ("firefox", "Firefox"), ("browser", "Chromium"), ("proxy", "proxy"))


def _cpu_text(w):
    """CPU ms per frame shown by class (sound = the session's PulseAudio and Xpra's sound process), and % of one core."""
    cpu, frames = w.get("cpu_ms"), w.get("frames")
    if not isinstance(cpu, dict) or not frames:
        return "–"
    busy = sum(cpu.values()) / (w.get("seconds") or 1) / 10
    return " + ".join(f"{cpu.get(k, 0.0) / frames:.1f} {label}" for k, label in CPU_CLASSES) + f" ({busy:.0f} % of a core)"


def _cpu_share(row, which):
    """Median % of one core per class over the windows of one kind."""
    ws = [w for w in (row.get("sound") or {}).get("fps", []) if w.get("which") == which and isinstance(w.get("cpu_ms"), dict)]
    return {k: _med([w["cpu_ms"].get(k, 0.0) / (w.get("seconds") or 1) / 10 for w in ws]) for k, _ in CPU_CLASSES} if ws else None


def report_rows(res):
    """Rows 9 for the summary table: (row, figure, target, status)."""
    s = res.get("sound")
    if not s:
        return []
    out = []
    by = {r["path"]: r for r in s["rows"]}
    for letter, name in zip("abc", PATHS):
        if name not in ctx_paths(s):
            continue
        label = VARIANTS[name]["label"]
        r = by.get(name)
        snd = (r or {}).get("sound")
        if not r or "error" in r or not snd:
            why = (r or {}).get("error", "not run")[:200]
            for text, target in (("Tone start to sound in the tab, p50/p95", f"p50 ≤ {ONSET_TARGET_MS} ms"),
                                 ("Audio bandwidth, tone playing (stereo)", f"≤ {BANDWIDTH_TARGET_KBIT} kbit/s"),
                                 ("Animation frames/s, sound on vs off", "on ≥ 0.95 × off")):
                out.append((f"9{letter}. {text}, {label}", f"not measured: {why}", target, "not measured"))
            continue
        o = snd.get("onset") or {}
        p50, p95 = o.get("p50_ms"), o.get("p95_ms")
        incidents = snd.get("incidents") or []
        if incidents:
            out.append((f"9{letter}0. Sound came, {label}", f"{len(incidents)} time(s) no sound within the wait, recovered by mute and "
                        "unmute (below, \"Incidents\")", "(always)", "**missed**"))
        ok = p50 is not None and p50 <= ONSET_TARGET_MS and not o.get("missed")
        out.append((f"9{letter}1. Tone start to sound in the tab, p50/p95, {label}",
                    f"**{_fmt(p50)}/{_fmt(p95)} ms** heard by the tab's probe (n={o.get('n')}, {o.get('missed')} missed); "
                    f"played by the tab's graph at {_fmt(o.get('graph_p50_ms'))}/{_fmt(o.get('graph_p95_ms'))} ms; "
                    f"first/last tone {_fmt(_first_last(o)[0])}/{_fmt(_first_last(o)[1])} ms, the delay changing {_fmt(drift(o), '{:+.1f}')} ms per second",
                    f"p50 ≤ {ONSET_TARGET_MS} ms", "met" if ok else "**missed**"))
        b = snd.get("bandwidth") or {}
        wire = _kbit(b.get("sound_wire_bytes_per_s"))
        on = b.get("on") or {}
        opus = _kbit(on.get("opus_bytes_per_s"))
        ok = wire is not None and wire <= BANDWIDTH_TARGET_KBIT
        out.append((f"9{letter}2. Audio bandwidth, steady tone (stereo), {label}",
                    f"**{_fmt(wire, '{:.1f}')} kbit/s** on the wire (sound on − muted); raw Opus {_fmt(opus, '{:.1f}')} kbit/s "
                    f"in {_fmt(on.get('packets_per_s'), '{:.1f}')} packets/s",
                    f"≤ {BANDWIDTH_TARGET_KBIT} kbit/s", "met" if ok else "**missed**"))
        f_on, f_off, f_tm = _fps(r, "on"), _fps(r, "off"), _fps(r, "tone-muted")
        ratio = f_on / f_off if f_on is not None and f_off else None
        ok = ratio is not None and ratio >= FPS_TARGET
        out.append((f"9{letter}3. Animation frames/s, sound on vs off, {label}",
                    f"on {_fmt(f_on, '{:.1f}')} vs off {_fmt(f_off, '{:.1f}')}: **×{_fmt(ratio, '{:.2f}')}** "
                    f"(medians of {s.get('rounds')} windows each; painted by Firefox {_fmt(_fps(r, 'on', 'page_fps'))} vs {_fmt(_fps(r, 'off', 'page_fps'))}); "
                    f"the tone in Firefox but muted (not forwarded): {_fmt(f_tm, '{:.1f}')} (×{_fmt(f_tm / f_off if f_tm is not None and f_off else None, '{:.2f}')})"
                    + _cpu_delta(r),
                    "on ≥ 0.95 × off (within 5 %)", "met" if ok else "**missed**"))
    return out


def drift(onset):
    """How fast the delay changed over the run: least-squares slope of the graph's (else the
    probe's) delay against the tone's time, ms per second; None with fewer than 5 tones."""
    pts = [(t[0] / 1000, t[2] if t[2] is not None else t[1]) for t in onset.get("trials", []) if t[3] and (t[2] is not None or t[1] is not None)]
    if len(pts) < 5:
        return None
    mx = statistics.mean(x for x, _ in pts)
    my = statistics.mean(y for _, y in pts)
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    return sum((x - mx) * (y - my) for x, y in pts) / sxx if sxx else None


def _cpu_delta(row):
    on, off = _cpu_share(row, "on"), _cpu_share(row, "off")
    if not on or not off:
        return ""
    parts = [f"{label} {on[k]:.0f} vs {off[k]:.0f}" for k, label in CPU_CLASSES if on[k] is not None and off[k] is not None]
    return "; % of a core on vs off: " + ", ".join(parts)


def _first_last(onset):
    heard = [t[1] for t in onset.get("trials", []) if t[3] and t[1] is not None]
    return (heard[0], heard[-1]) if heard else (None, None)


def ctx_paths(s):
    return [r["path"] for r in s["rows"]] or list(PATHS)


def how_lines(ctx):
    return [
        "9. **Sound** (`bench/sound.py`, `bench/stream/sound.mjs`, the tone modes of `bench/stream/page.html`). For each",
        "   Xpra a sidecar with sound on (serve's default: each session has its own PulseAudio, Xpra forwards raw Opus)",
        "   and one Firefox session on the bench page; our client's page opened by headless Chromium (Debian's,",
        "   `--disable-gpu`, no autoplay switch) through jupyter-server-proxy, at 1280×800 (Xpra 6.5 with `?video=true`,",
        "   as the stream phase's own65). **Gesture:** one click on Firefox's page through the client: a pointerdown in",
        "   the tab (Chromium's autoplay policy lets the client's AudioContext run) and, through Xpra, a real click in",
        "   Firefox, on which the page makes its AudioContext (Firefox's autoplay policy). Nothing is added to the",
        "   product: an init script in the tab dispatches the page's own probe (`firefox-launcher:audio-probe`,",
        "   js-extension/client/docs/page-surface.md) and wraps two Web APIs (below).",
        f"   - **Tone start to sound:** the page in Firefox starts a 1000 Hz tone (gain 0.3, 500 ms) at every even second",
        "     of `Date.now()`, scheduled on its AudioContext's clock (context time now + the distance to that second, so",
        "     Firefox's own output latency is inside the figure, as for any sound a page starts). Both browsers run on",
        "     this machine and share its wall clock. From 500 ms before each second the tab polls its probe every",
        "     ~4 ms (`setInterval` 2 ms, as Chromium clamps it); **heard** = the first answer whose analyser peak",
        "     (fftSize 8192, no smoothing: a 186 ms window, so a rising tone passes -60 dBFS some tens of ms after",
        "     its first sample) is at 1000 ± 40 Hz above -60 dBFS, after one that was not (so a late previous tone is",
        "     not taken for this one; a tone not heard within 1.9 s is missed). **Played by the graph** = the wall-clock time at",
        "     which the client's AudioContext plays the first sample above 0.05 (from the `AudioBufferSourceNode.start`",
        "     call that schedules the piece holding it: its context time, mapped to the wall clock at the call; the",
        "     device's output latency after that is not included). The tone's time is checked against the page's",
        f"     report of what it scheduled. {ctx.sound_trials} tones per Xpra, one every 2 s on a stream that runs from the first",
        "     click; the target is judged on \"heard\". The delay's change: least-squares slope of each tone's delay (graph)",
        "     against its time.",
        f"   - **Bandwidth:** a steady tone on the still page, {ctx.stream_seconds:.0f} s with sound on, then {ctx.stream_seconds:.0f} s with the",
        "     tab's mute button on (the client sends `sound-control stop`: Xpra sends no sound): the difference of what",
        "     Chromium's sockets to the Jupyter server received (`ss -ti`: TCP payload, so Xpra's packet header and",
        "     metadata, the websocket frame and the proxy's framing count; TCP/IP headers do not). Raw Opus = the",
        "     bytes the client handed to `AudioDecoder.decode` (wrapped), per second; packets/s from the probe's counter.",
        "   - **Frames/s:** the stream phase's animation measure (row 7: frames shown at the client per second over",
        f"     {ctx.stream_seconds:.0f} s after {ctx.stream_warmup:.0f} s of warm-up, with its screenshot check), on the same session: sound **on** = the",
        "     animation with a steady tone in Firefox, forwarded and played in the tab; **off** = the animation without",
        f"     tone, muted (no sound packets: checked); **tone-muted** = the animation with the steady tone in Firefox, muted",
        f"     (what Firefox's own sound costs, without forwarding). {ctx.sound_rounds} windows of each, the order turning from",
        "     round to round; medians. CPU: as row 7, with the session's PulseAudio and Xpra's sound process as \"sound\".",
    ]


def raw_lines(res):
    s = res.get("sound")
    if not s:
        return []
    lines = ["Sound, every measurement:\n",
             "| Xpra | gesture: clicks, ms to sound on both sides; first tone ms | onset heard p50/p95/max ms (n, missed, unscheduled); graph p50/p95 ms | "
             "level at onset; queued ms at onset | Firefox's output/base latency ms | Chromium's output/base latency ms |",
             "| --- | --- | --- | --- | --- | --- |"]
    for r in s["rows"]:
        label = VARIANTS.get(r.get("path"), {}).get("label", r.get("path"))
        snd = r.get("sound")
        if "error" in r or not snd:
            lines.append(f"| {label} | error: {str(r.get('error'))[:300]} | | | | |")
            continue
        g, o = snd.get("gesture") or {}, snd.get("onset") or {}
        gl = o.get("graph_output_latency") or {}
        ms = lambda v: "–" if v is None else f"{v * 1000:.0f}"  # noqa: E731
        lines.append(f"| {label} | {g.get('clicks')}, {g.get('ms')}; {snd.get('first_tone_ms')} | "
                     f"{_fmt(o.get('p50_ms'))}/{_fmt(o.get('p95_ms'))}/{_fmt(o.get('max_ms'))} ({o.get('n')}, {o.get('missed')}, {o.get('unscheduled')}); "
                     f"{_fmt(o.get('graph_p50_ms'))}/{_fmt(o.get('graph_p95_ms'))} | {_fmt(o.get('db_p50'), '{:.0f}')} dBFS at {_fmt(o.get('hz_p50'), '{:.0f}')} Hz; "
                     f"{_fmt(o.get('queued_p50_ms'))} | {ms(g.get('firefox_output_latency'))}/{ms(g.get('firefox_base_latency'))} | "
                     f"{ms(gl.get('output'))}/{ms(gl.get('base'))} |")
    lines.append("")
    for r in s["rows"]:
        for i in (r.get("sound") or {}).get("incidents") or []:
            lines.append(f"- Incident, {VARIANTS[r['path']]['label']}: {i[:1200]}")
    load = [f"{VARIANTS.get(r.get('path'), {}).get('label', r.get('path'))} {r['load1'][0]:.2f} → {r['load1'][1]:.2f}" for r in s["rows"] if r.get("load1")]
    if load:
        lines.append(f"- 1-minute load average at the start and end of each Xpra's measurement: {'; '.join(load)} (2 cores).")
    lines.append("")
    lines.append("Each tone (wall-clock ms of its start, heard ms, played by the graph ms):\n")
    for r in s["rows"]:
        o = (r.get("sound") or {}).get("onset")
        if o:
            lines.append(f"- {VARIANTS[r['path']]['label']}: " + ", ".join(
                f"{_fmt(t[1], '{:.0f}')}/{_fmt(t[2], '{:.0f}')}" + ("" if t[3] else " (not scheduled by the page)") for t in o.get("trials", [])))
    lines.append("")
    lines.append("Bandwidth (per second; wire = what Chromium's sockets received):\n")
    lines.append("| Xpra | sound on: wire kbit/s, raw Opus kbit/s, Opus packets/s, probe packets/s | muted: wire kbit/s, packets/s | "
                 "on − muted, wire kbit/s | wire bytes per sound packet | dropped, decode errors, refused |")
    lines.append("| --- | --- | --- | --- | --- | --- |")
    for r in s["rows"]:
        b = (r.get("sound") or {}).get("bandwidth")
        if not b:
            continue
        on, off = b["on"], b["muted"]
        per = b["sound_wire_bytes_per_s"] / on["packets_per_s"] if on.get("packets_per_s") else None
        lines.append(f"| {VARIANTS[r['path']]['label']} | {_kbit(on['wire_bytes_per_s']):.1f}, {_kbit(on['opus_bytes_per_s']):.1f}, "
                     f"{on['opus_packets_per_s']:.1f}, {on['packets_per_s']:.1f} | {_kbit(off['wire_bytes_per_s']):.1f}, {off['packets_per_s']:.1f} | "
                     f"{_kbit(b['sound_wire_bytes_per_s']):.1f} | {_fmt(per)} (raw Opus {_fmt(on['opus_bytes_per_s'] / on['opus_packets_per_s'] if on.get('opus_packets_per_s') else None)}) | "
                     f"{on['dropped'] + off['dropped']}, {on['decode_errors'] + off['decode_errors']}, {on['refused'] + off['refused']} |")
    lines.append("")
    lines.append("Animation windows (frames/s shown / painted by Firefox / longest stall ms / MB/s down; sound packets in the window; "
                 "CPU ms per frame shown, Xpra + sound + Firefox + Chromium + proxy, and % of one core; sound = the session's "
                 "PulseAudio and Xpra's sound process, Xpra = the rest of Xpra's tree and Xvfb):\n")
    lines.append("| Xpra | round | sound | animation | sound packets (dropped) | CPU per frame shown |")
    lines.append("| --- | --- | --- | --- | --- | --- |")
    for r in s["rows"]:
        for w in (r.get("sound") or {}).get("fps", []):
            lines.append(f"| {VARIANTS[r['path']]['label']} | {w.get('round')} | {w.get('which')} | "
                         f"{_fmt(w.get('fps'), '{:.1f}')} / {_fmt(w.get('page_fps'))} / {_fmt(w.get('longest_stall_ms'))} / "
                         f"{_fmt(stream._mb(w.get('bytes_per_s')), '{:.2f}')} | {w.get('sound_packets')} ({w.get('sound_dropped')}) | {_cpu_text(w)} |")
    lines.append("")
    return lines


def write_section(ctx, res, started, finished, machine, xpra6_version, chromium):
    """The sound section of BENCHMARKS.md (between its markers, else before the stream section or
    "## How each row is measured"), leaving the rest of the file as it is."""
    rows = report_rows(res)
    m = machine
    lines = ["## Sound: Firefox's sound in the tab (issue 22)\n",
             f"- **Command:** `{ctx.command}`",
             f"- **Date:** {started} → {finished} (UTC)",
             f"- **Machine:** {m['nproc']} CPUs ({m['cpu']}), {m['mem']} RAM, Linux {m['kernel']}",
             f"- **Versions:** xpra {m['xpra']} (Debian) and {xpra6_version} (`{ctx.xpra6}`), {m['firefox']}, {chromium}, {m['rustc']}",
             f"- **Sidecar:** `target/release/firefox-launcher` built from {m['git']}",
             "", "| row | figure | target | status |", "| --- | --- | --- | --- |"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    lines += ["", "How it is measured:\n"] + how_lines(ctx) + [""] + raw_lines(res)
    for e in res.get("errors", []):
        if e.startswith("sound"):
            lines.append(f"- Error during the run: {e}")
    put_section(ctx.output, BEGIN, END, lines, (stream_anchor(), "## How each row is measured"))
    return rows


def stream_anchor():
    return "<!-- stream section:"
