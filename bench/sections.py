"""BENCHMARKS.md sections that one phase owns: written between its markers, or (the first time)
before the first anchor found, leaving the rest of the file as it is."""
from pathlib import Path


def put_section(path, begin, end, lines, anchors):
    section = "\n".join([begin, *lines, end]) + "\n"
    path = Path(path)
    text = path.read_text() if path.exists() else "# Benchmarks\n\n"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + section + "\n" + rest.split(end, 1)[1].lstrip("\n")
    else:
        for anchor in anchors:
            if anchor in text:
                head, tail = text.split(anchor, 1)
                text = head + section + "\n" + anchor + tail
                break
        else:
            text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)
