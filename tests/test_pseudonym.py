from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ehcp_timeliness.errors import InputError
from ehcp_timeliness.read.pseudonym import ENV, LENGTH, PseudonymKey, pseudonymise, resolve_key

KEY = PseudonymKey(b"k" * 32, "tests")


def test_key_from_file_wins_over_the_environment(tmp_path, monkeypatch):
    path = tmp_path / "key"
    path.write_text("a-secret-from-a-file-0123456789\n")
    monkeypatch.setenv(ENV, "a-secret-from-the-environment")
    key = resolve_key(path)
    assert key.key == b"a-secret-from-a-file-0123456789" and key.source == f"file {path}"
    assert "secret" not in repr(key)


def test_key_from_the_environment(monkeypatch):
    monkeypatch.setenv(ENV, "  a-secret-from-the-environment ")
    key = resolve_key(None)
    assert key.key == b"a-secret-from-the-environment" and not key.is_random


def test_no_key_gives_a_random_one_each_run(monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    a, b = resolve_key(None), resolve_key(None)
    assert a.is_random and b.is_random and a.key != b.key


@pytest.mark.parametrize("content", [b"short", b"   \n"])
def test_a_short_key_is_refused(tmp_path, content):
    path = tmp_path / "key"
    path.write_bytes(content)
    with pytest.raises(InputError, match="at least 16"):
        resolve_key(path)


def test_an_unreadable_key_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="cannot read the pseudonym key file"):
        resolve_key(tmp_path / "missing")


def test_pseudonyms_are_hmac_sha256_and_keep_nulls():
    import hashlib
    import hmac

    got = pseudonymise(pa.array(["upn:A123", None, "upn:A123", "uln:1"]), KEY).to_pylist()
    expected = hmac.new(b"k" * 32, b"upn:A123", hashlib.sha256).hexdigest()[:LENGTH]
    assert got[0] == got[2] == expected
    assert got[1] is None and got[3] != got[0]


@given(st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=50))
def test_the_same_value_always_gets_the_same_id_and_different_values_different_ids(values):
    ids = pseudonymise(pa.array(values), KEY).to_pylist()
    by_value = dict(zip(values, ids, strict=True))
    assert [by_value[v] for v in values] == ids
    assert len(set(by_value.values())) == len(by_value)
    other = pseudonymise(pa.array(values), PseudonymKey(b"x" * 32, "t")).to_pylist()
    assert set(other).isdisjoint(ids)
