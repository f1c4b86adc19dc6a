"""Which uid the worker runs as (worker/main.py worker_user): started as root, it drops to nobody
by default wherever nobody may create the namespaces; told otherwise, it does as told."""

import pytest

from flashtrain.snippets.worker import isolation, main


@pytest.fixture()
def as_root(monkeypatch):
    monkeypatch.setattr(main.os, "geteuid", lambda: 0)
    asked = []

    def allowed(uid):
        asked.append(uid)
        return True
    monkeypatch.setattr(isolation, "namespaces_allowed_as", allowed)
    return asked


def test_root_drops_to_nobody_by_default(as_root):
    assert main.worker_user(main.worker_options([])) == (main.NOBODY, None)
    assert as_root == [main.NOBODY]


def test_root_stays_root_where_nobody_may_not_make_namespaces(as_root, monkeypatch):
    monkeypatch.setattr(isolation, "namespaces_allowed_as", lambda uid: False)
    user, why = main.worker_user(main.worker_options([]))
    assert user is None and "may not create user namespaces" in why


@pytest.mark.parametrize("argv, user", [(["--keep-root"], None), (["--as-user", "1000"], 1000),
                                        (["--no-namespaces"], None)])
def test_root_does_as_told(as_root, argv, user):
    assert main.worker_user(main.worker_options(argv)) == (user, None)
    assert as_root == []  # nothing to find out


def test_an_ordinary_user_stays_who_it_is(monkeypatch):
    monkeypatch.setattr(main.os, "geteuid", lambda: 1000)
    assert main.worker_user(main.worker_options([])) == (None, None)
    assert main.worker_user(main.worker_options(["--as-user", "65534"])) == (None, None)
