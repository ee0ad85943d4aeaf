from collections import Counter

from indexer.topics.trends import growth, windows


def test_windows_end_at_the_newest_month():
    recent, before = windows(["2024-11", "2025-04", "2025-01", ""])
    assert recent == {"2025-04", "2025-03", "2025-02"}
    assert before == {"2025-01", "2024-12", "2024-11", "2024-10", "2024-09", "2024-08"}
    assert windows([]) == (set(), set())


def test_growth_uses_shares_not_counts():
    months = [f"2024-{m:02d}" for m in range(1, 10)]
    recent, before = windows(months)
    totals = Counter({m: 100 for m in months[:6]} | {m: 400 for m in months[6:]})  # 4x more papers lately
    steady = {m: 10 for m in months[:6]} | {m: 40 for m in months[6:]}               # same 10% share throughout
    rising = {m: 5 for m in months[:6]} | {m: 80 for m in months[6:]}
    fading = {m: 20 for m in months[:6]} | {m: 20 for m in months[6:]}
    g = {name: growth(x, totals, recent, before, topics=10) for name, x in
         (("steady", steady), ("rising", rising), ("fading", fading))}
    assert abs(g["steady"].score) < 0.1
    assert g["rising"].score > 1.5 and g["fading"].score < -1.0
    assert g["rising"].recent == 240 and g["rising"].before == 30
