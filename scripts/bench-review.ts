// bench-review: the control layer's review time for a realistic 200-line skill (regexes, dates, a
// dataclass, classes, comprehensions, f-strings), after a warm-up, as p50/p99 over many reviews.
// The parser is loaded once, outside the timing, as the service does at start-up. `benchReview()`
// returns the figures for an aggregating script; run directly, this prints them. Goal: p50 < 20 ms.
import { pathToFileURL } from 'node:url';
import { DEFAULT_ALLOW_IMPORTS } from '../server/src/config/index.js';
import { createControlLayer } from '../server/src/control/index.js';
import type { ControlPolicy } from '../server/src/control/types.js';
import type { SkillSource } from '../server/src/skill.js';

export interface BenchReviewResult {
  p50_ms: number;
  p99_ms: number;
  iterations: number;
  lines: number;
  load_ms: number;
}

export const BENCH_POLICY: ControlPolicy = {
  allow_imports: DEFAULT_ALLOW_IMPORTS,
  allow_builtins: [],
  allow_capabilities: [],
  max_files: 32,
  max_code_bytes: 262144,
  max_limits: { timeout_ms: 120000, memory_mb: 1024, cpus: 2, pids: 256, output_bytes: 8388608 },
};

/** A text-report skill of the kind authors write: 200 lines, every common construct once or more. */
export const BENCH_SKILL_CODE = `"""Text report: words, sentences, dates and numbers found in a text."""
from __future__ import annotations

import json
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field, asdict
from datetime import date, datetime, timedelta
from typing import Iterable, Optional

WORD = re.compile(r"[A-Za-z\\u00C0-\\u024F']+")
SENTENCE_END = re.compile(r"(?<=[.!?])\\s+")
ISO_DATE = re.compile(r"\\b(\\d{4})-(\\d{2})-(\\d{2})\\b")
NUMBER = re.compile(r"-?\\d+(?:\\.\\d+)?")
STOPWORDS = frozenset("a an and are as at be by for from has he in is it its of on that the to was were will with".split())


@dataclass
class WordStats:
    """Counts of one word."""

    word: str
    count: int = 0
    positions: list[int] = field(default_factory=list)

    def add(self, position: int) -> None:
        self.count += 1
        self.positions.append(position)

    @property
    def spread(self) -> int:
        return self.positions[-1] - self.positions[0] if self.positions else 0


@dataclass
class Report:
    words: int
    unique: int
    sentences: int
    top: list[dict]
    dates: list[str]
    numbers: dict
    reading_minutes: float
    warnings: list[str] = field(default_factory=list)


class Tokenizer:
    """Splits text into words, keeping their positions."""

    def __init__(self, lowercase: bool = True, keep_stopwords: bool = False) -> None:
        self.lowercase = lowercase
        self.keep_stopwords = keep_stopwords
        self._seen = 0

    def __repr__(self) -> str:
        return f"Tokenizer(lowercase={self.lowercase!r}, seen={self._seen})"

    def tokens(self, text: str) -> Iterable[tuple[int, str]]:
        for match in WORD.finditer(text):
            word = match.group(0).strip("'")
            if self.lowercase:
                word = word.lower()
            if not word or (not self.keep_stopwords and word in STOPWORDS):
                continue
            self._seen += 1
            yield match.start(), word


class DateFinder:
    def __init__(self, today: Optional[date] = None) -> None:
        self.today = today or date(2024, 1, 1)

    def find(self, text: str) -> list[date]:
        found = []
        for year, month, day in ISO_DATE.findall(text):
            try:
                found.append(date(int(year), int(month), int(day)))
            except ValueError:
                continue
        return sorted(set(found))

    def describe(self, when: date) -> str:
        delta = when - self.today
        if delta == timedelta(0):
            return "today"
        unit = "day" if abs(delta.days) == 1 else "days"
        return f"in {delta.days} {unit}" if delta.days > 0 else f"{-delta.days} {unit} ago"


def split_sentences(text: str) -> list[str]:
    parts = [part.strip() for part in SENTENCE_END.split(text)]
    return [part for part in parts if part]


def count_words(pairs: Iterable[tuple[int, str]]) -> dict[str, WordStats]:
    stats: dict[str, WordStats] = {}
    for position, word in pairs:
        entry = stats.get(word)
        if entry is None:
            entry = stats[word] = WordStats(word)
        entry.add(position)
    return stats


def summarise_numbers(text: str) -> dict:
    values = [float(raw) for raw in NUMBER.findall(text)]
    if not values:
        return {"count": 0}
    mean = sum(values) / len(values)
    variance = sum((v - mean) ** 2 for v in values) / len(values)
    return {
        "count": len(values),
        "min": min(values),
        "max": max(values),
        "mean": round(mean, 3),
        "stdev": round(math.sqrt(variance), 3),
    }


def top_words(stats: dict[str, WordStats], limit: int) -> list[dict]:
    ranked = sorted(stats.values(), key=lambda s: (-s.count, s.word))
    return [{"word": s.word, "count": s.count, "spread": s.spread} for s in ranked[:limit]]


def letters_histogram(words: Iterable[str]) -> dict[str, int]:
    histogram: defaultdict[str, int] = defaultdict(int)
    for word in words:
        for letter in word:
            histogram[letter] += 1
    return dict(sorted(histogram.items()))


def bigrams(words: list[str]) -> Counter:
    return Counter(zip(words, words[1:]))


def reading_minutes(word_count: int, words_per_minute: int = 230) -> float:
    return round(word_count / words_per_minute, 2)


def validate(inp: dict) -> tuple[str, int]:
    text = inp.get("text")
    if not isinstance(text, str):
        raise ValueError("text must be a string")
    limit = inp.get("top", 10)
    if not isinstance(limit, int) or not 1 <= limit <= 100:
        raise ValueError(f"top must be an integer from 1 to 100, not {limit!r}")
    return text, limit


def render_dates(finder: DateFinder, dates: list[date]) -> list[str]:
    return [f"{d.isoformat()} ({finder.describe(d)})" for d in dates]


def longest_sentence(sentences: list[str]) -> str:
    best = ""
    for sentence in sentences:
        if len(sentence) > len(best):
            best = sentence
    return best


def checksum(text: str) -> int:
    total = 0
    index = 0
    while True:
        if index >= len(text):
            break
        total = (total * 31 + ord(text[index])) % 1_000_000_007
        index += 1
    return total


def build_report(text: str, limit: int) -> Report:
    tokenizer = Tokenizer()
    pairs = list(tokenizer.tokens(text))
    stats = count_words(pairs)
    sentences = split_sentences(text)
    finder = DateFinder()
    report = Report(
        words=len(pairs),
        unique=len(stats),
        sentences=len(sentences),
        top=top_words(stats, limit),
        dates=render_dates(finder, finder.find(text)),
        numbers=summarise_numbers(text),
        reading_minutes=reading_minutes(len(pairs)),
    )
    if not pairs:
        report.warnings.append("no words found")
    if len(longest_sentence(sentences)) > 500:
        report.warnings.append("a sentence is longer than 500 characters")
    return report


def run(inp: dict) -> dict:
    """Handler: {"text": str, "top"?: int} -> the report as a JSON object."""
    text, limit = validate(inp)
    report = build_report(text, limit)
    result = asdict(report)
    words = [word for _, word in Tokenizer().tokens(text)]
    result["letters"] = letters_histogram(words)
    result["bigrams"] = [" ".join(pair) for pair, _ in bigrams(words).most_common(5)]
    result["checksum"] = checksum(text)
    result["generated"] = datetime(2024, 1, 1).strftime("%Y-%m-%d")
    json.dumps(result)  # fails here, not in the harness, if something is not serialisable
    return result
`;

export const BENCH_SKILL: SkillSource = {
  manifest: {
    name: 'text-report', version: '1.0.0', description: 'Words, sentences, dates and numbers of a text',
    runtime: 'python3', entrypoint: 'main.py', handler: 'run', limits: { timeout_ms: 5000, memory_mb: 128 },
  },
  files: { 'main.py': BENCH_SKILL_CODE },
};

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

export async function benchReview(options: { iterations?: number; warmup?: number } = {}): Promise<BenchReviewResult> {
  const iterations = options.iterations ?? 200;
  const warmup = options.warmup ?? 20;
  const loadStarted = performance.now();
  // Every review made, not served from the cache: this measures the review itself.
  const control = await createControlLayer({ cache: false });
  const load_ms = performance.now() - loadStarted;
  for (let i = 0; i < warmup; i++) await control.review(BENCH_SKILL, BENCH_POLICY);
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const started = performance.now();
    await control.review(BENCH_SKILL, BENCH_POLICY);
    samples.push(performance.now() - started);
  }
  await control.close();
  samples.sort((a, b) => a - b);
  const round = (ms: number): number => Math.round(ms * 1000) / 1000;
  return {
    p50_ms: round(percentile(samples, 50)),
    p99_ms: round(percentile(samples, 99)),
    iterations,
    lines: BENCH_SKILL_CODE.split('\n').length - 1,
    load_ms: round(load_ms),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await benchReview();
  console.log(`control-layer review of a ${result.lines}-line skill, ${result.iterations} reviews after warm-up (parser loaded once in ${result.load_ms.toFixed(1)} ms)`);
  console.log(`p50 ${result.p50_ms.toFixed(3)} ms   p99 ${result.p99_ms.toFixed(3)} ms   goal p50 < 20 ms: ${result.p50_ms < 20 ? 'met' : 'MISSED'}`);
}
