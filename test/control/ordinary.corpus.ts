// Ordinary skills of common kinds: the control layer approves them (test/control/ordinary.test.ts)
// and they run under the runner's guard and kernel filter (test/security/ordinary-runs.test.ts).
// A false positive in either place is a bug. The WARN ones say why a warning is right for them.
import type { Decision } from '../../server/src/control/types.js';
import { py } from './helpers.js';

export interface OrdinaryCase {
  name: string;
  files: Record<string, string>;
  decision: Decision;
  /** The rules of the findings a case may have, all of them non-blocking. */
  rules?: string[];
  /** What the run gets (test/security/ordinary-runs.test.ts); GENERIC_INPUT unless said. */
  input?: unknown;
  /** How its run ends; succeeded unless said. */
  status?: 'succeeded' | 'timeout';
}

/** An input with the fields the ordinary skills read. */
export const GENERIC_INPUT = {
  text: 'one two three ann@example.org', start: '2024-02-28T10:00:00', days: 2, n: 2, name: 'Ada', age: 36,
  value: 3.14159, rows: ['ab', 'cde'], x: 1, xs: [3, 1, 2, 2], op: 'add', args: [1, 2],
};

export const ORDINARY: OrdinaryCase[] = [
  { name: 'regexes', decision: 'APPROVE', files: { 'main.py': py`
      import re
      WORD = re.compile(r"\w+")
      def run(inp):
          words = WORD.findall(inp["text"])
          return {"words": len(words), "emails": re.findall(r"[\w.]+@[\w.]+", inp["text"])}
    ` } },
  { name: 'dates', decision: 'APPROVE', files: { 'main.py': py`
      from datetime import datetime, timedelta, timezone
      def run(inp):
          start = datetime.fromisoformat(inp["start"]).replace(tzinfo=timezone.utc)
          end = start + timedelta(days=inp.get("days", 7))
          return {"end": end.isoformat(), "weekday": end.strftime("%A")}
    ` } },
  { name: 'JSON round trip', decision: 'APPROVE', files: { 'main.py': py`
      import json
      def run(inp):
          text = json.dumps(inp, sort_keys=True, indent=2)
          return json.loads(text)
    ` } },
  { name: 'a class with a method named open, called as self.open()', decision: 'APPROVE', files: { 'main.py': py`
      class Door:
          def __init__(self):
              self.state = "closed"
          def open(self):
              self.state = "open"
              return self
          def toggle(self):
              return self.open() if self.state == "closed" else self.close()
          def close(self):
              self.state = "closed"
              return self
      def run(inp):
          return {"state": Door().toggle().state}
    ` } },
  { name: 'strings and comments that mention eval( and __class__', decision: 'APPROVE', files: { 'main.py': py`
      # Never call eval( on input, and never touch __class__ or __globals__.
      HELP = "This skill does not use eval(, exec( or __class__ tricks."
      def run(inp):
          """Returns the help text; __subclasses__ is only a word here."""
          return {"help": HELP, "note": 'getattr(x, "__class__") is refused'}
    ` } },
  { name: 'recursion (info only)', decision: 'APPROVE', rules: ['recursive-function'], files: { 'main.py': py`
      def factorial(n):
          return 1 if n <= 1 else n * factorial(n - 1)
      def run(inp):
          return {"result": factorial(inp["n"])}
    ` } },
  { name: 'while True with break', decision: 'APPROVE', files: { 'main.py': py`
      def run(inp):
          n = inp["n"]
          steps = 0
          while True:
              if n == 1:
                  break
              n = n // 2 if n % 2 == 0 else 3 * n + 1
              steps += 1
          return {"steps": steps}
    ` } },
  { name: 'a helper file imported by the entrypoint', decision: 'APPROVE', files: {
    'main.py': py`
      import helpers
      from helpers import normalise
      def run(inp):
          return {"text": normalise(inp["text"]), "n": helpers.count(inp["text"])}
    `,
    'helpers.py': py`
      import re
      def normalise(text):
          return re.sub(r"\s+", " ", text).strip()
      def count(text):
          return len(text.split())
    ` } },
  { name: 'a package with relative imports', decision: 'APPROVE', files: {
    'main.py': 'from textkit import api\ndef run(inp):\n    return api.handle(inp)\n',
    'textkit/__init__.py': '',
    'textkit/api.py': 'from . import words\nfrom .words import upper\ndef handle(inp):\n    return {"n": words.count(inp["text"]), "u": upper(inp["text"])}\n',
    'textkit/words.py': 'def count(text):\n    return len(text.split())\ndef upper(text):\n    return text.upper()\n',
    'data/stopwords.txt': 'a\nan\nthe\n',
  } },
  { name: 'dataclasses, frozen with object.__setattr__ in __post_init__', decision: 'APPROVE', files: { 'main.py': py`
      from dataclasses import dataclass, asdict, field
      @dataclass(frozen=True)
      class Item:
          name: str
          tags: list = field(default_factory=list)
          slug: str = ""
          def __post_init__(self):
              object.__setattr__(self, "slug", self.name.lower().replace(" ", "-"))
      def run(inp):
          return asdict(Item(inp["name"]))
    ` } },
  { name: 'dunder methods defined, super().__init__ called', decision: 'APPROVE', files: { 'main.py': py`
      class Base:
          def __init__(self, value):
              self.value = value
      class Money(Base):
          def __init__(self, value, currency="EUR"):
              super().__init__(value)
              self.currency = currency
          def __repr__(self):
              return f"Money({self.value!r}, {self.currency!r})"
          def __eq__(self, other):
              return isinstance(other, Money) and (self.value, self.currency) == (other.value, other.currency)
          def __hash__(self):
              return hash((self.value, self.currency))
          def __add__(self, other):
              return Money(self.value + other.value, self.currency)
      def run(inp):
          total = Money(1) + Money(2)
          return {"total": repr(total), "name": type(total).__name__}
    ` } },
  { name: 'if __name__ == "__main__"', decision: 'APPROVE', files: { 'main.py': py`
      def run(inp):
          return {"ok": True}
      if __name__ == "__main__":
          print(run({}))
    ` } },
  { name: 'type hints, string forward references, Literal values', decision: 'APPROVE', files: { 'main.py': py`
      from __future__ import annotations
      from typing import Literal, Optional
      class Node:
          def __init__(self, value: int, next: Optional["Node"] = None) -> None:
              self.value = value
              self.next = next
          def push(self, value: int) -> "Node":
              return Node(value, self)
      Mode = Literal["open", "eval", "exec"]
      def run(inp: dict[str, int]) -> dict[str, list[int]]:
          mode: Mode = "open"
          node: Node | None = Node(1).push(2)
          values: list[int] = []
          while node is not None:
              values.append(node.value)
              node = node.next
          return {"values": values, "mode": [len(mode)]}
    ` } },
  { name: 'f-strings with format specs', decision: 'APPROVE', files: { 'main.py': py`
      def run(inp):
          value = inp["value"]
          width = 12
          return {
              "money": f"{value:>10.2f}",
              "hex": f"{int(value):#x}",
              "nested": f"{value:{width}.3f}",
              "debug": f"{value!r:^20}",
              "braces": f"{{literal}} {value}",
          }
    ` } },
  { name: 'comprehension scopes', decision: 'APPROVE', files: { 'main.py': py`
      def run(inp):
          rows = inp["rows"]
          squares = [x * x for x in range(10) if x % 2]
          table = {name: [c for c in name] for name in rows}
          seen = {len(r) for r in rows}
          total = sum(n for n in squares)
          pairs = [(a, b) for a in range(3) for b in range(a)]
          return {"squares": squares, "table": table, "seen": sorted(seen), "total": total, "pairs": pairs}
    ` } },
  { name: 'try/except ValueError', decision: 'APPROVE', files: { 'main.py': py`
      def run(inp):
          try:
              n = int(inp["n"])
          except (ValueError, TypeError) as error:
              return {"error": str(error)}
          finally:
              pass
          return {"n": n}
    ` } },
  { name: 'parameters named input and open shadow the builtins', decision: 'APPROVE', files: { 'main.py': py`
      def run(input):
          def pick(open=True, eval=None):
              return open if eval is None else eval
          return {"x": input["x"], "p": pick()}
    ` } },
  { name: 'collections, itertools, math, statistics', decision: 'APPROVE', files: { 'main.py': py`
      import itertools
      import math
      import statistics
      from collections import Counter, OrderedDict, abc
      def run(inp):
          xs = inp["xs"]
          return {
              "mode": Counter(xs).most_common(1),
              "chunks": [list(c) for c in itertools.batched(xs, 2)] if hasattr(itertools, "batched") else [],
              "hyp": math.hypot(3, 4),
              "mean": statistics.fmean(xs),
              "mapping": isinstance(OrderedDict(), abc.Mapping),
          }
    ` } },
  { name: 'an Enum', decision: 'APPROVE', files: { 'main.py': py`
      import enum
      class Colour(enum.Enum):
          RED = 1
          GREEN = 2
      def run(inp):
          return {"name": Colour(inp["n"]).name, "all": [c.name for c in Colour]}
    ` } },
  { name: 'an infinite generator that yields', decision: 'APPROVE', files: { 'main.py': py`
      import itertools
      def naturals():
          n = 0
          while True:
              yield n
              n += 1
      def run(inp):
          return {"first": list(itertools.islice(naturals(), inp["n"]))}
    ` } },
  { name: '% formatting and string.Template', decision: 'APPROVE', files: { 'main.py': py`
      from string import Template
      def run(inp):
          return {"a": "%(name)s is %(age)d" % inp, "b": Template("$name!").substitute(name=inp["name"])}
    ` } },
  { name: 'exception classes of its own', decision: 'APPROVE', files: { 'main.py': py`
      class SkillError(Exception):
          pass
      class Fatal(BaseException):
          def __init__(self, code):
              super().__init__(f"fatal {code}")
              self.code = code
      def run(inp):
          try:
              raise SkillError("bad input")
          except SkillError as error:
              return {"error": str(error), "kind": type(error).__name__}
    ` } },
  { name: 'match statement', decision: 'APPROVE', files: { 'main.py': py`
      def run(inp):
          match inp:
              case {"op": "add", "args": [a, b]}:
                  return {"r": a + b}
              case {"op": "neg", "args": [a]}:
                  return {"r": -a}
              case _:
                  return {"error": "unknown op"}
    ` } },
  { name: 'getattr dispatch on a computed name (WARN: the guard checks the name at run time)', decision: 'WARN',
    rules: ['dynamic-attribute-name'], files: { 'main.py': py`
      class Ops:
          def do_add(self, a, b):
              return a + b
      def run(inp):
          handler = getattr(Ops(), "do_" + inp["op"])
          return {"r": handler(*inp["args"])}
    ` } },
  { name: 'an unbounded while True (WARN: it only ends at the time limit)', decision: 'WARN', rules: ['unbounded-loop'], status: 'timeout', files: { 'main.py': py`
      def run(inp):
          count = 0
          while True:
              for i in range(3):
                  if i == 2:
                      break
              count += 1
    ` } },
];

