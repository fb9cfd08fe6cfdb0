"""Generate a deterministic synthetic digest of N papers in the digestgen format.

Realistic shape: 5-8 authors (about four distinct authors per paper, most of them on one
paper and a few on many, as on arXiv; some names with accents), 2-4 tags out of 60, an
abstract of about 1,500 characters with inline math, a Markdown note with emphasis, links,
a list and math, about 40 papers per weekly issue, one entry in ten written as pure YAML.
The same N always gives the same bytes.

    python bench/corpus.py 10000 /tmp/digest-10k
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
from pathlib import Path

TAGS = [
    "language-models", "vision", "diffusion", "reinforcement-learning", "optimization", "theory",
    "robotics", "speech", "graphs", "retrieval", "agents", "reasoning", "alignment", "safety",
    "interpretability", "efficiency", "quantization", "distillation", "pruning", "compilers",
    "hardware", "datasets", "benchmarks", "evaluation", "multimodal", "video", "3d", "audio",
    "time-series", "tabular", "recommendation", "federated", "privacy", "fairness", "causality",
    "bayesian", "kernels", "generative-models", "gans", "vae", "flows", "transformers", "state-space",
    "attention", "memory", "planning", "search", "code", "math", "science", "biology", "chemistry",
    "medicine", "climate", "physics", "education", "law", "finance", "systems", "training",
]
FIRST = ["Ada", "Ben", "Chen", "Dana", "Emil", "Fatima", "Goran", "Hana", "Ivan", "Jia", "Kofi", "Lena",
         "Mateo", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Viktor", "Wei", "Yuki"]
LAST = ["Abe", "Brandt", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Huang", "Ibrahim", "Jensen",
        "Kim", "Larsen", "Moreau", "Novak", "Okafor", "Petrov", "Quist", "Rossi", "Sato", "Tanaka",
        "Ueda", "Vogel", "Wang", "Yilmaz", "Zhou"]
WORDS = [
    "model", "data", "training", "learning", "network", "method", "results", "show", "propose",
    "approach", "performance", "task", "tasks", "large", "language", "vision", "policy", "gradient",
    "loss", "objective", "sample", "samples", "benchmark", "accuracy", "robust", "efficient",
    "scaling", "layer", "attention", "token", "tokens", "representation", "representations",
    "memory", "inference", "latency", "compute", "budget", "estimator", "variance", "bias",
    "baseline", "ablation", "study", "evaluate", "across", "settings", "improves", "state", "art",
    "simple", "general", "framework", "theory", "bound", "analysis",
]
MATH = ["$O(n \\log n)$", "$\\alpha = 0.1$", "$x_t = f(x_{t-1})$", "$\\mathbb{E}[L(\\theta)]$",
        "$k \\le 8$", "$\\sigma^2$", "$p(y \\mid x)$", "$\\nabla_\\theta J$"]
START = dt.date(2008, 1, 7)  # a Monday
GIVEN = [*FIRST, "Søren", "José", "Zoë", "Łukasz", "Ana", "Björn", "Chiara", "Dmitri", "Elif", "Farah", "Hiroshi",
         "Ines", "Jonas", "Kavya", "Luca", "Mei", "Nikolai", "Olga", "Pablo", "Rin", "Sofia", "Thanh", "Yara", "Zain"]
SYLLABLES = ["ba", "ko", "ri", "san", "te", "lu", "mor", "vi", "den", "ga", "shi", "ta", "no", "ber", "ka", "lin",
             "zu", "ro", "mi", "ek", "has", "ol", "wen", "ju", "pet", "ra", "chen", "dal", "fo", "gö"]
NEW_AUTHOR = 0.6  # the chance that an author slot holds someone new (Simon's model): ~40,000 authors per 10,000 papers


class AuthorPool:
    """Names for the author slots of the papers, in order: a slot holds a new author with
    probability NEW_AUTHOR, else one drawn from the earlier slots (so the prolific get more)."""

    def __init__(self) -> None:
        self.rng = random.Random(4711)
        self.slots: list[str] = []

    def new_name(self) -> str:
        rng = self.rng
        if rng.random() < 0.1:
            family = rng.choice(LAST)
        else:
            family = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
        if rng.random() < 0.01:
            family = "Ødegaard"
        return f"{rng.choice(GIVEN)} {family}"

    def draw(self, count: int) -> list[str]:
        names: list[str] = []
        while len(names) < count:
            new = not self.slots or self.rng.random() < NEW_AUTHOR
            name = self.new_name() if new else self.rng.choice(self.slots)
            if name not in names:
                names.append(name)
        self.slots.extend(names)
        return names


def sentence(rng: random.Random, words: int) -> str:
    picked = [rng.choice(WORDS) for _ in range(words)]
    if rng.random() < 0.3:
        picked.insert(rng.randrange(len(picked)), rng.choice(MATH))
    return " ".join(picked).capitalize() + "."


def abstract(rng: random.Random) -> str:
    parts: list[str] = []
    while sum(len(p) + 1 for p in parts) < 1500:
        parts.append(sentence(rng, rng.randint(10, 22)))
    return " ".join(parts)


def note(rng: random.Random, pid: str, older: str | None) -> str:
    lines = [
        f"{sentence(rng, 12)} The **key idea** is *{rng.choice(WORDS)} {rng.choice(WORDS)}* with {rng.choice(MATH)}.",
        "",
        f"- read the [code](https://github.com/example/{pid.replace('.', '-')}) first;",
        f"- {sentence(rng, 8)}",
        f"- compare with {'[an earlier entry](/papers/' + older + '/)' if older else 'the baseline'}.",
        "",
        f"{sentence(rng, 14)} More at https://example.org/notes/{pid}",
    ]
    return "\n".join(lines)


def quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def paper(rng: random.Random, n: int, total: int, pool: AuthorPool) -> tuple[str, str]:
    """(relative path, file text) of paper number n (0 = oldest)."""
    day = START + dt.timedelta(days=(n * 7) // 40)  # about 40 papers per weekly issue
    pid = f"{day.year % 100:02d}{day.month:02d}.{n:05d}"
    title = " ".join(rng.choice(WORDS).capitalize() for _ in range(rng.randint(4, 9)))
    count = rng.randint(5, 8)
    for _ in range(count):  # the draws of earlier versions, so the other fields stay the same
        rng.choice(FIRST), rng.choice(LAST)
    authors = pool.draw(count)
    tags = sorted(rng.sample(TAGS, rng.randint(2, 4)))
    older = (
        f"{(day - dt.timedelta(days=7)).year % 100:02d}{(day - dt.timedelta(days=7)).month:02d}.{n - 40:05d}"
        if n >= 40
        else None
    )
    fields = [
        f"title: {quoted(title)}",
        f"date: {day.isoformat()}",
        "authors:", *[f"  - {quoted(a)}" for a in authors],
        f'arxiv: "{pid}"',
        f"published: {(day - dt.timedelta(days=rng.randint(1, 30))).isoformat()}",
        f"tldr: {quoted(sentence(rng, 12))}",
        "abstract: |", "  " + abstract(rng),
        f"tags: [{', '.join(tags)}]",
        f"upvotes: {rng.randint(0, 900)}",
    ]
    if rng.random() < 0.3:
        fields += ["links:", f"  code: https://github.com/example/{pid.replace('.', '-')}"]
    if rng.random() < 0.05:
        fields.append("featured: true")
    body = note(rng, pid, older)
    folder = f"content/papers/{day.year}"
    if n % 10 == 3:
        text = (
            "\n".join(fields)
            + "\nnote: |\n"
            + "\n".join(("  " + line) if line else "" for line in body.split("\n"))
            + "\n"
        )
        return f"{folder}/{pid}.yaml", text
    return f"{folder}/{pid}.md", "---\n" + "\n".join(fields) + "\n---\n\n" + body + "\n"


SITE_YAML = """title: Synthetic Digest
description: A generated digest for benchmarking.
base_url: https://bench.example.org/
language: en
timezone: UTC
cadence: weekly
feeds:
  limit: 20
  full_content: true
per_page: 20
search: {search}
"""


def last_day(total: int) -> dt.date:
    return START + dt.timedelta(days=((total - 1) * 7) // 40)


def generate(total: int, dest: Path, search: bool = False) -> list[str]:
    """Write the site into dest (replacing it); return the paper paths."""
    if dest.exists():
        shutil.rmtree(dest)
    rng = random.Random(20251129)
    paths: list[str] = []
    dest.mkdir(parents=True)
    (dest / "site.yaml").write_text(SITE_YAML.format(search=str(search).lower()), "utf-8")
    (dest / "content" / "pages").mkdir(parents=True)
    (dest / "content" / "pages" / "about.md").write_text("---\ntitle: About\n---\n\nA synthetic digest.\n", "utf-8")
    made: set[Path] = set()
    pool = AuthorPool()
    for n in range(total):
        rel, text = paper(rng, n, total, pool)
        target = dest / rel
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        target.write_text(text, "utf-8")
        paths.append(rel)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("papers", type=int)
    parser.add_argument("dest", type=Path)
    parser.add_argument("--search", action="store_true", help="write search: true into site.yaml")
    args = parser.parse_args()
    generate(args.papers, args.dest, args.search)
    print(f"wrote {args.papers} papers into {args.dest}; build with SOURCE_DATE_EPOCH={epoch_for(args.papers)}")


def epoch_for(total: int) -> int:
    """A SOURCE_DATE_EPOCH just after the newest paper, so every entry is published."""
    day = last_day(total) + dt.timedelta(days=1)
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp())


if __name__ == "__main__":
    main()
