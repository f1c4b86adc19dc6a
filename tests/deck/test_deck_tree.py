from flashtrain.deck.tree import deck_tree


def test_sub_decks_nest_under_parents_with_summed_counts():
    tree = deck_tree([("Math", {"cards": 2}), ("Languages::French", {"cards": 3}),
                      ("Languages::German::Verbs", {"cards": 4})])
    shown = [("  " * n.depth + n.label, n.counts["cards"], n.exists) for n in tree]
    assert shown == [("Languages", 7, False), ("  French", 3, True), ("  German", 4, False), ("    Verbs", 4, True),
                     ("Math", 2, True)]


def test_rows_of_listed_decks_indent_under_their_nearest_listed_ancestor():
    from flashtrain.deck.tree import tree_label, tree_order

    names = {"Math", "Languages::French", "Languages", "Languages::French::Verbs", "Other::Deep::Leaf"}
    rows = [tree_label(n, names) for n in sorted(names, key=tree_order)]
    assert rows == ["Languages", "  French", "    Verbs", "Math", "Other::Deep::Leaf"]
