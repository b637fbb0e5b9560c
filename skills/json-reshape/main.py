"""Picks and renames fields of a JSON object.

`fields` is a list of dotted paths (each kept under its own path as the output name) or a mapping of
output name -> dotted path. A path segment that is a number indexes a list. Paths that lead nowhere
are listed in `missing` instead of failing the whole call.
"""

_MISSING = object()


def _follow(value, path):
    for segment in path.split("."):
        if isinstance(value, dict) and segment in value:
            value = value[segment]
        elif isinstance(value, list) and segment.isdigit() and int(segment) < len(value):
            value = value[int(segment)]
        else:
            return _MISSING
    return value


def run(inp):
    fields = inp["fields"]
    wanted = {path: path for path in fields} if isinstance(fields, list) else fields
    result = {}
    missing = []
    for output_name, path in wanted.items():
        value = _follow(inp["data"], path)
        if value is _MISSING:
            missing.append(path)
        else:
            result[output_name] = value
    return {"result": result, "missing": missing}
