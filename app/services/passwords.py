"""New-password rules after NIST SP 800-63B: length, no context words, no common password.

The common-password list (``seed_data/common-passwords.txt.gz``, over 150,000 entries,
shipped with the app so no check leaves the machine) is held as a sorted numpy array of
8-byte digests, a tenth of the memory a set of strings would hold in every worker.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
import unicodedata
from pathlib import Path

import numpy as np

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
LIST_PATH = Path(__file__).resolve().parents[2] / "seed_data" / "common-passwords.txt.gz"
_lock = threading.Lock()
_digests: np.ndarray | None = None


def _digest(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")


def common_password_digests() -> np.ndarray:
    """The sorted digests of the shipped common-password list (loaded once per process)."""
    global _digests
    with _lock:
        if _digests is None:
            with gzip.open(LIST_PATH, "rt", encoding="utf-8") as fh:
                words = {line.strip() for line in fh if line.strip() and line[0] != "#"}
            _digests = np.sort(np.fromiter((_digest(w) for w in words), dtype=np.uint64))
        return _digests


def is_common(password: str) -> bool:
    """True when the password (case and surrounding spaces aside) is on the list."""
    digests = common_password_digests()
    key = np.uint64(_digest(password.strip().lower()))
    i = int(np.searchsorted(digests, key))
    return i < len(digests) and digests[i] == key


def _squash(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def password_problem(password: str, email: str = "", org_name: str = "") -> str | None:
    """Why a new password is not acceptable, or None if it is.

    Lengths count characters after NFC normalisation, so a password typed with combining
    accents is measured like the same password typed precomposed.
    """
    password = unicodedata.normalize("NFC", password)
    if not password.strip():
        return "A password cannot be only spaces."
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Use at most {MAX_PASSWORD_LENGTH} characters."
    squashed = _squash(password)
    email = email.strip().casefold()
    local = _squash(email.partition("@")[0])
    if email and (email in password.casefold() or (len(local) >= 4 and local in squashed)):
        return "Do not use your email address (or its name part) in your password."
    org = _squash(org_name)
    if org and org in squashed:
        return "Do not use the organization's name in your password."
    if is_common(password):
        return "That password is on a list of common passwords. Choose another."
    return None
