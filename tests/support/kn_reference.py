"""An independent, deliberately plain Python interpolated Kneser–Ney, written from the formula
in rust/ngram.rs's docstring, to check the Rust model on small texts."""

from collections import Counter, defaultdict


def train(
    tokens: list[int], order: int
) -> tuple[list[dict[tuple[int, ...], Counter[int]]], list[float]]:
    grams = Counter(tuple(tokens[i : i + order]) for i in range(len(tokens) - order + 1))
    levels_counts: list[Counter[tuple[int, ...]]] = [grams]
    for _ in range(order - 1):
        longer = levels_counts[-1]
        levels_counts.append(Counter(gram[1:] for gram in longer))
    levels_counts.reverse()  # level m (1-based) at index m - 1
    levels: list[dict[tuple[int, ...], Counter[int]]] = []
    discounts = []
    for counts in levels_counts:
        n1 = sum(1 for c in counts.values() if c == 1)
        n2 = sum(1 for c in counts.values() if c == 2)
        discounts.append(n1 / (n1 + 2 * n2) if n1 else 0.5)
        by_context: dict[tuple[int, ...], Counter[int]] = defaultdict(Counter)
        for gram, count in counts.items():
            by_context[gram[:-1]][gram[-1]] = count
        levels.append(dict(by_context))
    return levels, discounts


def probs(
    model: tuple[list[dict[tuple[int, ...], Counter[int]]], list[float]],
    history: list[int],
    vocab: int,
) -> list[float]:
    levels, discounts = model
    p = [1.0 / vocab] * vocab
    for m in range(1, len(levels) + 1):
        if len(history) < m - 1:
            break
        context = tuple(history[len(history) - (m - 1) :]) if m > 1 else ()
        followers = levels[m - 1].get(context)
        if followers is None:
            continue
        total = sum(followers.values())
        d = discounts[m - 1]
        p = [d * len(followers) / total * x for x in p]
        for w, c in followers.items():
            p[w] += max(c - d, 0.0) / total
    return p
