"""KMS envelope encryption of card keys, under moto's KMS."""
from __future__ import annotations

import dataclasses
import secrets

import pytest
from cryptography.exceptions import InvalidTag

from kameng import wiring
from kameng.adapters.cipher_kms import ENCRYPTION_CONTEXT, CiphertextFormatError, KmsCipher
from kameng.adapters.cipher_local import LocalCipher
from kameng.services import import_keys
from kameng.services.lookup import key_context

HASH_KEY = bytes(range(32))
CONTEXT = key_context("steam-wallet-100", "01JQ0000000000000000000001")


@pytest.fixture
def cipher(kms, kms_key):
    return KmsCipher(kms_key, kms, hash_key=HASH_KEY)


def fresh(kms, kms_key, **options) -> KmsCipher:
    """Another process: same KMS key and hash secret, no cached data keys."""
    return KmsCipher(kms_key, kms, hash_key=HASH_KEY, **options)


def test_round_trip(cipher):
    sealed = cipher.seal(b"STM-ABCD-EFGH-IJKL", CONTEXT)
    assert sealed[0] == 0x02
    assert cipher.open(sealed, CONTEXT) == b"STM-ABCD-EFGH-IJKL"


def test_another_process_opens_it_through_kms(cipher, kms, kms_key):
    sealed = cipher.seal("点卡密码 ✓".encode(), CONTEXT)
    assert fresh(kms, kms_key).open(sealed, CONTEXT) == "点卡密码 ✓".encode()


def test_layout_is_version_length_data_key_nonce_body(cipher, kms):
    plaintext = b"X" * 40
    sealed = cipher.seal(plaintext, CONTEXT)
    length = int.from_bytes(sealed[1:3], "big")
    blob = sealed[3 : 3 + length]
    # The embedded blob is a KMS ciphertext of the data key, bound to the purpose.
    data_key = kms.decrypt(CiphertextBlob=blob, EncryptionContext=ENCRYPTION_CONTEXT)["Plaintext"]
    assert len(data_key) == 32
    assert len(sealed) == 3 + length + 12 + len(plaintext) + 16


def test_a_key_alias_works_too(kms, kms_key):
    cipher = KmsCipher("alias/kameng-card-keys", kms, hash_key=HASH_KEY)
    sealed = cipher.seal(b"code", CONTEXT)
    assert KmsCipher("alias/kameng-card-keys", kms, hash_key=HASH_KEY).open(sealed, CONTEXT) == b"code"


def test_a_ciphertext_copied_onto_another_key_does_not_open(cipher, kms, kms_key):
    sealed = cipher.seal(b"code", key_context("sku-a", "key-1"))
    for other in (key_context("sku-a", "key-2"), key_context("sku-b", "key-1")):
        with pytest.raises(InvalidTag):
            cipher.open(sealed, other)
        with pytest.raises(InvalidTag):
            fresh(kms, kms_key).open(sealed, other)


def test_tampered_ciphertext_does_not_open(cipher, kms, kms_key):
    sealed = bytearray(cipher.seal(b"code-and-password", CONTEXT))
    body = bytearray(sealed)
    body[-20] ^= 0x01  # inside the AES-GCM ciphertext
    with pytest.raises(InvalidTag):
        cipher.open(bytes(body), CONTEXT)
    tag = bytearray(sealed)
    tag[-1] ^= 0x80
    with pytest.raises(InvalidTag):
        cipher.open(bytes(tag), CONTEXT)
    nonce = bytearray(sealed)
    nonce[-(16 + 17 + 1)] ^= 0x01  # last nonce byte
    with pytest.raises(InvalidTag):
        cipher.open(bytes(nonce), CONTEXT)


def test_a_tampered_data_key_reads_as_a_tampered_ciphertext(cipher, kms, kms_key):
    sealed = bytearray(cipher.seal(b"code", CONTEXT))
    length = int.from_bytes(sealed[1:3], "big")
    sealed[3 + length - 1] ^= 0x01  # last byte of the encrypted data key
    with pytest.raises(InvalidTag):
        fresh(kms, kms_key).open(bytes(sealed), CONTEXT)


@pytest.mark.parametrize("damage", [
    lambda s: b"",
    lambda s: s[:2],
    lambda s: s[:3],
    lambda s: s[: len(s) // 2],
    lambda s: b"\x02\x00\x00" + s[3:],
    lambda s: b"\x07" + s[1:],
])
def test_malformed_ciphertext_gets_a_format_error(cipher, damage):
    with pytest.raises(CiphertextFormatError):
        cipher.open(damage(cipher.seal(b"code", CONTEXT)), CONTEXT)


def test_a_local_format_ciphertext_is_refused_with_a_clear_error(cipher):
    local = LocalCipher(secrets.token_bytes(32)).seal(b"code", CONTEXT)
    assert local[0] == 0x01
    with pytest.raises(ValueError, match=r"local cipher's format \(0x01.*seal it again under KMS"):
        cipher.open(local, CONTEXT)


def test_a_thousand_seals_take_one_data_key_and_opening_them_one_decrypt(kms, kms_key, calls):
    calls.watch(kms, "GenerateDataKey", "Decrypt")
    sealer = fresh(kms, kms_key)
    contexts = [key_context("sku", f"key-{n}") for n in range(1000)]
    sealed = [sealer.seal(f"CODE-{n:04d}".encode(), context) for n, context in enumerate(contexts)]
    assert calls.count("GenerateDataKey") == 1
    assert calls.count("Decrypt") == 0

    # The sealing process opens its own keys from memory...
    assert sealer.open(sealed[7], contexts[7]) == b"CODE-0007"
    assert calls.count("Decrypt") == 0
    # ...and a fresh one (the orders Lambda) asks KMS once for the data key.
    opener = fresh(kms, kms_key)
    assert [opener.open(s, c) for s, c in zip(sealed, contexts)] == [f"CODE-{n:04d}".encode() for n in range(1000)]
    assert calls.count("Decrypt") == 1

    generate = next(params for name, params in calls.log if name == "GenerateDataKey")
    decrypt = next(params for name, params in calls.log if name == "Decrypt")
    assert generate["EncryptionContext"] == decrypt["EncryptionContext"] == {"purpose": "kameng-card-keys"}
    assert generate["KeySpec"] == "AES_256"


def test_the_data_key_rotates_after_max_seals(kms, kms_key, calls):
    calls.watch(kms, "GenerateDataKey", "Decrypt")
    cipher = fresh(kms, kms_key, max_seals=10)
    sealed = [cipher.seal(b"code", CONTEXT) for _ in range(25)]
    assert calls.count("GenerateDataKey") == 3
    assert len({s[3 : 3 + int.from_bytes(s[1:3], "big")] for s in sealed}) == 3
    opener = fresh(kms, kms_key)
    assert all(opener.open(s, CONTEXT) == b"code" for s in sealed)
    assert calls.count("Decrypt") == 3


def test_the_data_key_rotates_after_max_age(kms, kms_key, calls):
    now = [1000.0]
    calls.watch(kms, "GenerateDataKey")
    cipher = fresh(kms, kms_key, max_age=60, clock=lambda: now[0])
    first = cipher.seal(b"code", CONTEXT)
    now[0] += 59
    cipher.seal(b"code", CONTEXT)
    assert calls.count("GenerateDataKey") == 1
    now[0] += 2
    cipher.seal(b"code", CONTEXT)
    assert calls.count("GenerateDataKey") == 2
    # Old ciphertexts still open: the old data key travels inside them.
    assert cipher.open(first, CONTEXT) == b"code"


def test_opened_data_keys_are_a_bounded_lru(kms, kms_key, calls):
    sealed = [fresh(kms, kms_key).seal(f"code-{n}".encode(), CONTEXT) for n in range(3)]  # 3 data keys
    calls.watch(kms, "Decrypt")
    opener = fresh(kms, kms_key, cache_size=2)
    opener.open(sealed[0], CONTEXT)
    opener.open(sealed[1], CONTEXT)
    opener.open(sealed[0], CONTEXT)  # 0 is now the most recent
    assert calls.count("Decrypt") == 2
    opener.open(sealed[2], CONTEXT)  # evicts 1
    opener.open(sealed[0], CONTEXT)
    assert calls.count("Decrypt") == 3
    opener.open(sealed[1], CONTEXT)
    assert calls.count("Decrypt") == 4


def test_plaintext_never_appears_in_the_ciphertext(cipher):
    plaintext = b"SECRET-CARD-KEY-0123456789"
    sealed = [cipher.seal(plaintext, CONTEXT) for _ in range(50)]
    for s in sealed:
        assert plaintext not in s
        assert plaintext[:8] not in s
    assert len(set(sealed)) == 50  # a fresh nonce every time


def test_keyed_hash_is_stable_across_instances_and_distinct_per_purpose(kms, kms_key):
    one, two = fresh(kms, kms_key), fresh(kms, kms_key)
    assert one.keyed_hash("card-key", "STM-1") == two.keyed_hash("card-key", "STM-1")
    assert one.keyed_hash("card-key", "STM-1") != one.keyed_hash("shopper", "STM-1")
    assert one.keyed_hash("card-key", "STM-1") != KmsCipher(kms_key, kms, hash_key=b"\x01" * 32).keyed_hash("card-key", "STM-1")
    # The same derivation as the local cipher: a shop moving over keeps its fingerprints.
    assert one.keyed_hash("card-key", "STM-1") == LocalCipher(HASH_KEY).keyed_hash("card-key", "STM-1")


def test_records_seal_without_kms_and_open_as_the_local_cipher_opens_them(kms, kms_key, calls):
    calls.watch(kms, "GenerateDataKey", "Decrypt", "Encrypt")
    context = b"order-token/01JQ0000000000000000000001"
    sealed = fresh(kms, kms_key).seal_record("order-token-seal", "01JQ0000000000000000000001", b"token", context)
    assert calls.log == []
    opened = LocalCipher(HASH_KEY).open_record("order-token-seal", "01JQ0000000000000000000001", sealed, context)
    assert opened == b"token"
    with pytest.raises(InvalidTag):
        fresh(kms, kms_key).open_record("order-token-seal", "01JQ0000000000000000000002", sealed, context)


def test_a_short_hash_key_is_refused(kms, kms_key):
    with pytest.raises(ValueError, match="at least 32"):
        KmsCipher(kms_key, kms, hash_key=b"short")


# ---------------------------------------------------------------- through the real import service


@pytest.fixture
def deps(deps, kms, kms_key):
    """The suite's deps with the KMS cipher in place of the local one."""
    chosen = dataclasses.replace(deps, cipher=fresh(kms, kms_key))
    wiring.use(chosen)
    yield chosen
    wiring.use(None)


def test_importing_keys_calls_kms_once_and_fingerprints_hold_across_processes(deps, sku_with_keys, kms, kms_key, calls):
    calls.watch(kms, "GenerateDataKey", "Decrypt")
    stocked = sku_with_keys(2500, passwords=True)  # two import batches
    assert calls.count("GenerateDataKey") == 1
    assert stocked.stock().available == 2500

    # A later import (another process) recognises every key by its fingerprint.
    later = dataclasses.replace(deps, cipher=fresh(kms, kms_key))
    report = import_keys.import_lines(stocked.sku, [f"{c}\n" for c in stocked.codes[:100]], False, later)
    assert (report.imported, report.duplicates) == (0, 100)
