"""Counts the words of a text: runs of non-whitespace characters."""


def run(inp):
    return {"words": len(inp["text"].split())}
