"""Field encryption and keyed hashes (R-SEC-1)."""

import os

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from partnercenter.crypto import (
    FieldCipher,
    UnreadableCiphertext,
    chain_mac,
    keyed_hash,
    open_sealed,
    purpose_key,
    seal,
)


def test_sealed_field_opens_only_for_its_subject_and_field() -> None:
    # R-SEC-1: ciphertexts are bound to subject and field by the AEAD's additional data.
    key = os.urandom(32)
    token = FieldCipher("m-1", key).seal("name", "홍길동")
    assert "홍길동" not in token
    assert FieldCipher("m-1", key).open("name", token) == "홍길동"
    with pytest.raises(UnreadableCiphertext):
        FieldCipher("m-2", key).open("name", token)
    with pytest.raises(UnreadableCiphertext):
        FieldCipher("m-1", key).open("phone", token)


def test_without_the_data_key_nothing_opens() -> None:
    # R-RET-6: another key (the shredded one is gone for good) cannot open the ciphertext.
    token = FieldCipher("m-1", os.urandom(32)).seal("phone", "01012345678")
    with pytest.raises(UnreadableCiphertext):
        FieldCipher("m-1", os.urandom(32)).open("phone", token)


def test_same_value_seals_differently_each_time() -> None:
    cipher = FieldCipher("m-1", os.urandom(32))
    assert cipher.seal("name", "a") != cipher.seal("name", "a")


def test_keyed_hash_is_namespaced_and_keyed() -> None:
    assert keyed_hash("k", "phone", "010") == keyed_hash("k", "phone", "010")
    assert keyed_hash("k", "phone", "010") != keyed_hash("k", "login_id", "010")
    assert keyed_hash("k", "phone", "010") != keyed_hash("other", "phone", "010")
    assert chain_mac("k", "a", "b") != chain_mac("k", "b", "a")


def test_purpose_keys_are_per_purpose_and_per_secret() -> None:
    # HKDF with a distinct info label: one secret, independent keys; another secret, another key.
    secret = "s" * 64
    key = purpose_key(secret, "signup-claim")
    assert len(key) == 32
    assert key == purpose_key(secret, "signup-claim")
    assert key != purpose_key(secret, "another-purpose")
    assert key != purpose_key("t" * 64, "signup-claim")
    assert secret.encode() not in key


def test_a_seal_opens_with_its_key_and_associated_data_only() -> None:
    aead = AESGCM(os.urandom(32))
    sealed = seal(aead, b"manager.kim", b"hash-1")
    assert b"manager.kim" not in sealed
    assert sealed != seal(aead, b"manager.kim", b"hash-1")  # a fresh nonce each time
    assert open_sealed(aead, sealed, b"hash-1", "what") == b"manager.kim"
    with pytest.raises(UnreadableCiphertext):
        open_sealed(aead, sealed, b"hash-2", "what")
    with pytest.raises(UnreadableCiphertext):
        open_sealed(AESGCM(os.urandom(32)), sealed, b"hash-1", "what")
    for index in (0, 12, len(sealed) - 1):  # nonce, ciphertext, tag
        altered = bytearray(sealed)
        altered[index] ^= 1
        with pytest.raises(UnreadableCiphertext):
            open_sealed(aead, bytes(altered), b"hash-1", "what")
    with pytest.raises(UnreadableCiphertext):
        open_sealed(aead, sealed[:20], b"hash-1", "what")
