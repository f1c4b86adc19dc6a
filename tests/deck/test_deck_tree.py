from flashtrain.deck.tree import deck_tree


def test_sub_decks_nest_under_parents_with_summed_counts():
    tree = deck_tree([("Math", {"cards": 2}), ("Languages::French", {"cards": 3}),
                      ("Languages::German::Verbs", {"cards": 4})])
    shown = [("  " * n.depth + n.label, n.counts["cards"], n.exists) for n in tree]
    assert shown == [("Languages", 7, False), ("  French", 3, True), ("  German", 4, False), ("    Verbs", 4, True),
                     ("Math", 2, True)]


def test_home_rows_show_short_names_and_study_a_parent_with_its_sub_decks():
    from types import SimpleNamespace as Summary

    from flashtrain.deck.tree import deck_tree_rows

    summaries = [Summary(deck_id=1, name="Languages::French", due=2, learning=1, new=3, total=10, retention=0.9),
                 Summary(deck_id=2, name="Languages::German::Verbs", due=1, learning=0, new=0, total=30, retention=0.7),
                 Summary(deck_id=3, name="Math", due=0, learning=0, new=5, total=5, retention=None),
                 Summary(deck_id=4, name="Math::Algebra", due=4, learning=0, new=0, total=5, retention=0.5)]
    rows = deck_tree_rows(summaries)
    assert [("  " * r.depth + r.label, r.deck_id, r.deck_ids, r.due, r.total) for r in rows] == [
        ("Languages", None, (1, 2), 3, 40), ("  French", 1, (1,), 2, 10), ("  German", None, (2,), 1, 30),
        ("    Verbs", 2, (2,), 1, 30), ("Math", 3, (3, 4), 4, 10), ("  Algebra", 4, (4,), 4, 5)]
    assert rows[0].key == "tree:Languages" and rows[1].key == "1"
    assert rows[0].retention == (0.9 * 10 + 0.7 * 30) / 40
    assert rows[4].retention == 0.5  # a deck with no reviewed card does not weigh in
