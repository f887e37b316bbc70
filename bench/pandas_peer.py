"""The pandas peer: what a data scientist would write to score the bench data.

    python3 bench/pandas_peer.py csv|jsonl <input> <model.onnx> <output>

Reads the input in 65,536-record chunks, runs the MLP forward pass in numpy
(float32) with the weights taken from the ONNX model's initializers, and
appends `id,output` per chunk (header once) as CSV, or records as JSONL.
"""
import sys

import numpy as np
import onnx
import pandas as pd
from onnx import numpy_helper

CHUNK = 65536
FEATURES = [f"f{i}" for i in range(13)]


def load_weights(path):
    model = onnx.load(path)
    return {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}


def predict(w, x):
    hidden = np.maximum(x @ w["fc1.weight_t"] + w["fc1.bias"], 0)
    return (hidden @ w["fc2.weight_t"] + w["fc2.bias"])[:, 0]


def score_chunk(w, chunk):
    x = chunk[FEATURES].to_numpy(dtype=np.float32)
    return pd.DataFrame({"id": chunk["id"], "output": predict(w, x)})


def score_csv(w, src, dst):
    for i, chunk in enumerate(pd.read_csv(src, chunksize=CHUNK)):
        score_chunk(w, chunk).to_csv(dst, mode="w" if i == 0 else "a", header=i == 0, index=False)


def score_jsonl(w, src, dst):
    with open(dst, "w") as out, pd.read_json(src, lines=True, chunksize=CHUNK) as reader:
        for chunk in reader:
            text = score_chunk(w, chunk).to_json(orient="records", lines=True)
            # pandas < 1.5 leaves the last record unterminated
            out.write(text if text.endswith("\n") else text + "\n")


def main():
    fmt, src, model, dst = sys.argv[1:5]
    w = load_weights(model)
    {"csv": score_csv, "jsonl": score_jsonl}[fmt](w, src, dst)


if __name__ == "__main__":
    main()
