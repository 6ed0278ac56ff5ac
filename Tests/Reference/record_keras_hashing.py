"""Records what Keras's hashing layers give, for KerasHashingTests to match value for value.

Writes keras_hashing.json beside this file: FarmHash Fingerprint64 (tf.fingerprint) of strings of
every FarmHash length class; keras.layers.Hashing on strings and on int64 values; HashedCrossing
of 2 and 3 int64 features; StringLookup and IntegerLookup out-of-vocabulary indices with several
num_oov_indices. 64-bit numbers are written as decimal strings (JSON numbers are doubles).

Run with the project's Python (keras 3 on TensorFlow):
    KERAS_BACKEND=tensorflow .build/python/bin/python Tests/Reference/record_keras_hashing.py
"""

import json
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

BINS = [1, 2, 3, 7, 10, 64, 100, 1000, 65536, 2**31 - 1, 2**40 + 15, 2**62 + 1]
OOV_COUNTS = [1, 2, 3, 7, 10]


def long_text(length, alphabet):
    return "".join(alphabet[(i * 7 + i // 3) % len(alphabet)] for i in range(length))


def strings():
    texts = ["", "a", "ab", "abc", "abcd", "hello", "abcdefg", "abcdefgh", "0123456789abcdef"]
    ascii_letters = "abcdefghijklmnopqrstuvwxyz0123456789 _-"
    # Lengths at and around each FarmHash class boundary (16, 32, 64) and past the 64-byte loop.
    for length in [15, 17, 24, 31, 32, 33, 48, 63, 64, 65, 100, 127, 128, 129, 200, 1000]:
        texts.append(long_text(length, ascii_letters))
    # Non-ASCII: UTF-8 bytes are hashed, so byte lengths cross the classes too.
    texts += ["é", "naïve café", "日本語", "Größe", "🐧", "Ωμέγα λ", "a\u0000b", "42", "-1", "[UNK]"]
    texts += [long_text(30, "äöüßéèñ"), long_text(70, "日本語中文한국어")]
    return texts


INTEGERS = [
    0, 1, -1, 7, -7, 42, -42, 100, 999, 2**31 - 1, -(2**31), 2**32, 2**53 + 1,
    123456789012345678, -123456789012345678, 2**63 - 1, -(2**63),
]

CROSSES_2 = [
    [0, 0], [0, 1], [1, 0], [1, 2], [3, 5], [-1, 1], [7, -7], [42, 1000],
    [2**63 - 1, -(2**63)], [-(2**63), 0], [123456789012345678, 9],
]
CROSSES_3 = [
    [0, 0, 0], [1, 2, 3], [3, 2, 1], [-1, -2, -3], [5, 0, 17], [2**40, -(2**40), 11],
    [2**63 - 1, 2**63 - 1, 2**63 - 1],
]


def fingerprint(text):
    raw = tf.fingerprint(tf.constant([text.encode("utf-8")]), method="farmhash64").numpy()[0]
    return int.from_bytes(bytes(raw), "little")


def keras_hash(values, bins):
    return [int(v) for v in keras.layers.Hashing(num_bins=bins)(values).numpy().reshape(-1)]


def keras_cross(rows, bins):
    columns = [np.array([row[i] for row in rows], dtype=np.int64) for i in range(len(rows[0]))]
    crossed = keras.layers.HashedCrossing(num_bins=bins)(tuple(columns))
    return [int(v) for v in np.asarray(crossed).reshape(-1)]


def oov_indices(layer_type, values, count, **options):
    vocabulary = ["known"] if layer_type is keras.layers.StringLookup else [123454321]
    layer = layer_type(vocabulary=vocabulary, num_oov_indices=count, **options)
    return [int(v) for v in np.asarray(layer(values)).reshape(-1)]


def main():
    texts = strings()
    text_tensor = tf.constant([t.encode("utf-8") for t in texts])
    integers = np.array(INTEGERS, dtype=np.int64)
    string_buckets = {b: keras_hash(text_tensor, b) for b in BINS}
    integer_buckets = {b: keras_hash(integers, b) for b in BINS}
    cross_buckets = {b: keras_cross(CROSSES_2, b) + keras_cross(CROSSES_3, b) for b in BINS}
    string_oov = {c: oov_indices(keras.layers.StringLookup, text_tensor, c) for c in OOV_COUNTS}
    integer_oov = {c: oov_indices(keras.layers.IntegerLookup, integers, c) for c in OOV_COUNTS}
    farmhash_oov = {
        c: oov_indices(keras.layers.IntegerLookup, integers, c, oov_method="farmhash")
        for c in OOV_COUNTS
    }

    fixture = {
        "recorded_with": {"keras": keras.__version__, "tensorflow": tf.__version__},
        "bins": BINS,
        "oov_counts": OOV_COUNTS,
        "strings": [
            {
                "text": text,
                "utf8_length": len(text.encode("utf-8")),
                "fingerprint": str(fingerprint(text)),
                "buckets": [string_buckets[b][i] for b in BINS],
                "oov_indices": [string_oov[c][i] for c in OOV_COUNTS],
            }
            for i, text in enumerate(texts)
        ],
        "integers": [
            {
                "value": str(value),
                "buckets": [integer_buckets[b][i] for b in BINS],
                "oov_indices": [integer_oov[c][i] for c in OOV_COUNTS],
                "farmhash_oov_indices": [farmhash_oov[c][i] for c in OOV_COUNTS],
            }
            for i, value in enumerate(INTEGERS)
        ],
        "crosses": [
            {"values": [str(v) for v in row], "buckets": [cross_buckets[b][i] for b in BINS]}
            for i, row in enumerate(CROSSES_2 + CROSSES_3)
        ],
    }
    # Every fingerprint is what to_hash_bucket_fast reduces: a check on the recording itself.
    for entry in fixture["strings"]:
        assert [int(entry["fingerprint"]) % b for b in BINS] == entry["buckets"], entry["text"]
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "keras_hashing.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(fixture, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {path}: {len(texts)} strings, {len(INTEGERS)} integers, "
          f"{len(CROSSES_2) + len(CROSSES_3)} crosses, bins {BINS}")


if __name__ == "__main__":
    main()
