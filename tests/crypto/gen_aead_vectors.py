#!/usr/bin/python3
"""Writes random AES-GCM / AES-GMAC cases with python3-cryptography's answers.

Usage: gen_aead_vectors.py OUTPUT

The C++ test (aead_diff_test.cpp) runs the engine on the same inputs and
compares. Deterministic (fixed seed) so that a failure can be reproduced.

File format, little endian:
  header: b"SWAEAD01", u32 count
  case:   u8 alg (0 aes128_gcm, 1 aes256_gcm, 2 aes128_gmac, 3 aes256_gmac),
          u8 aad_len (8 or 12), u32 len,
          key[32] (first 16 used for AES-128), salt[4], iv[8], aad[12],
          plaintext[len], ciphertext[len] (GCM only), tag[16]

GCM:  ciphertext || tag = AESGCM(key).encrypt(salt || iv, plaintext, aad)
GMAC: tag = AESGCM(key).encrypt(salt || iv, b"", aad || plaintext), the
      engine's contract for ESP NULL + GMAC (RFC 4543): aad || data is the
      authenticated region, nothing is encrypted.
"""
import random
import struct
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

EDGE_LENGTHS = [0, 1, 15, 16, 17, 63, 64, 65, 1420, 9000]
RANDOM_CASES = 4000


def lengths(rng):
    for n in EDGE_LENGTHS:
        yield n
    for _ in range(RANDOM_CASES):
        r = rng.random()
        if r < 0.5:
            yield rng.randint(0, 256)
        elif r < 0.9:
            yield rng.randint(0, 1500)
        else:
            yield rng.randint(0, 9000)


def main():
    rng = random.Random(4106)
    cases = []
    for n in lengths(rng):
        # Every edge length with every algorithm and both AAD sizes; random
        # lengths with a random algorithm and AAD size.
        combos = ([(a, al) for a in range(4) for al in (8, 12)]
                  if n in EDGE_LENGTHS and len(cases) < 8 * len(EDGE_LENGTHS)
                  else [(rng.randrange(4), rng.choice((8, 12)))])
        for alg, aad_len in combos:
            cases.append((alg, aad_len, n))

    out = bytearray(b"SWAEAD01")
    out += struct.pack("<I", len(cases))
    for alg, aad_len, n in cases:
        klen = 16 if alg in (0, 2) else 32
        key = rng.randbytes(klen)
        salt = rng.randbytes(4)
        iv = rng.randbytes(8)
        aad = rng.randbytes(aad_len)
        pt = rng.randbytes(n)
        gcm = AESGCM(key)
        if alg in (0, 1):
            sealed = gcm.encrypt(salt + iv, pt, aad)
            ct, tag = sealed[:-16], sealed[-16:]
        else:
            ct, tag = b"", gcm.encrypt(salt + iv, b"", aad + pt)
        out += struct.pack("<BBI", alg, aad_len, n)
        out += key.ljust(32, b"\0") + salt + iv + aad.ljust(12, b"\0")
        out += pt + ct + tag
    with open(sys.argv[1], "wb") as f:
        f.write(out)


if __name__ == "__main__":
    main()
