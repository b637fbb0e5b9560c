"""Counts the words of a text: runs of non-whitespace characters."""


def run(inp):
    words = inp["text"].split()
    # A log line (stdout), kept apart from the result: the console and NDJSON runs show it live.
    print(f"counted {len(words)} words")
    return {"words": len(words)}
