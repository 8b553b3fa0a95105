"""Password hashing (argon2id) and the length rule."""

import pytest

from bot.services import passwords
from bot.services.passwords import WeakPassword


def test_a_hash_verifies_its_password_only():
    stored = passwords.hash_password("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert "correct horse battery" not in stored
    assert passwords.verify(stored, "correct horse battery")
    assert not passwords.verify(stored, "correct horse batterY")
    assert not passwords.verify(stored, "")


def test_two_hashes_of_one_password_differ():
    assert passwords.hash_password("correct horse battery") != passwords.hash_password("correct horse battery")


def test_no_hash_or_a_broken_one_never_verifies():
    assert not passwords.verify(None, "anything at all")
    assert not passwords.verify("not-a-hash", "anything at all")


def test_an_overlong_attempt_is_refused_even_if_it_starts_right():
    stored = passwords.hash_password("x" * passwords.MAX_LENGTH)
    assert passwords.verify(stored, "x" * passwords.MAX_LENGTH)
    assert not passwords.verify(stored, "x" * (passwords.MAX_LENGTH + 1))


def test_old_parameters_need_a_rehash():
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("correct horse battery")
    assert passwords.hash_password("x" * 12).startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert passwords.needs_rehash(weak)
    assert not passwords.needs_rehash(passwords.hash_password("correct horse battery"))


@pytest.mark.parametrize(
    "password, reason",
    [
        ("short pass", "at least 12"),
        (" " * 14, "only spaces"),
        ("ana@glow.example", "email"),
        ("x" * 257, "at most 256"),
    ],
)
def test_the_policy_says_what_to_change(password, reason):
    with pytest.raises(WeakPassword, match=reason):
        passwords.check_policy(password, "Ana@glow.example")
    passwords.check_policy("twelve chars", "ana@glow.example")  # exactly the minimum is fine
