import textwrap

import pytest

from flashtrain.snippets.format import parse_snippet
from flashtrain.snippets.runner import Runner

SCALE_SNIPPET = textwrap.dedent('''\
    ---
    id: scale_rows
    title: Scale rows
    timeout: 0.75
    ---

    Multiply each row of X by its factor.

    ## Hints

    1. Broadcasting.
    2. `f` has shape (n, 1).

    ```python starter
    def scale_rows(X, f):
        """X: (n, m); f: (n, 1). Returns X * f, shape (n, m)."""
    ```

    ```python reference
    def scale_rows(X, f):
        return X * f
    ```

    ```python checks
    def cases(rng):
        yield Case("fixed 2x3", dict(X=np.arange(6.0).reshape(2, 3), f=np.array([[2.0], [-1.0]])))
        yield Case("random", dict(X=rng.normal(size=(3, 4)), f=rng.normal(size=(3, 1))))
    ```

    ```python mutant transposed
    def scale_rows(X, f):
        return (X.T * f.T).T * 0 + X * f.sum()
    ```

    Hint: Use each row's own factor.

    ```python mutant in-place
    def scale_rows(X, f):
        X *= f
        return X
    ```

    Hint: Do not modify X in place.
    ''')


@pytest.fixture(scope="session")
def runner():
    r = Runner()
    yield r
    r.close()


@pytest.fixture(scope="session")
def scale_text():
    return SCALE_SNIPPET


@pytest.fixture(scope="session")
def scale_snippet():
    return parse_snippet(SCALE_SNIPPET)
