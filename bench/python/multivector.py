"""The PyTorch peer that PyLate users run: sentence-transformers 6 MultiVectorEncoder.

usage: multivector.py MODEL_DIR CORPUS_JSONL --device cpu|cuda --dtypes fp32,fp16,bf16
                      --batch-sizes 16,32 --repetitions 2 [--threads N] [--limit N] [--compare ROWS.json] [--out FILE.json]

Encodes the corpus as documents with encode_document (length-sorted batches, the model's own
framing, scoring mask and normalization, rows copied to the CPU) and reports docs/s per dtype and
batch size. With --compare, also reports how far Tessera's rows (a JSON list of documents, each a
list of rows, for the first documents of the corpus at float32) are from its own.
"""
import argparse
import json
import time

import numpy as np
import torch
from sentence_transformers import MultiVectorEncoder

DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}

p = argparse.ArgumentParser()
p.add_argument("model")
p.add_argument("corpus")
p.add_argument("--device", default="cpu")
p.add_argument("--dtypes", default="fp32")
p.add_argument("--batch-sizes", default="32")
p.add_argument("--repetitions", type=int, default=2)
p.add_argument("--threads", type=int, default=0)
p.add_argument("--limit", type=int, default=0, help="only the first N passages")
p.add_argument("--compare")
p.add_argument("--out")
a = p.parse_args()
if a.threads:
    torch.set_num_threads(a.threads)
texts = [json.loads(line)["text"] for line in open(a.corpus) if line.strip()]
if a.limit:
    texts = texts[: a.limit]
result = {"peer": "sentence-transformers MultiVectorEncoder", "versions": {}, "rates": []}
import sentence_transformers, transformers  # noqa: E402

result["versions"] = {"torch": torch.__version__, "sentence_transformers": sentence_transformers.__version__, "transformers": transformers.__version__,
                      "cuda": torch.version.cuda, "device_name": torch.cuda.get_device_name(0) if a.device.startswith("cuda") else "cpu"}


def sync():
    if a.device.startswith("cuda"):
        torch.cuda.synchronize()


for name in a.dtypes.split(","):
    model = MultiVectorEncoder(a.model, device=a.device, model_kwargs={"dtype": DTYPES[name]})
    model.encode_document(texts[:64], batch_size=32, convert_to_numpy=True)
    if name == "fp32" and a.compare:
        mine = model.encode_document(texts[:16], batch_size=16, convert_to_numpy=True)
        theirs = json.load(open(a.compare))
        diffs = [float(np.abs(np.asarray(t, dtype=np.float32) - m).max()) if np.asarray(t).shape == m.shape else float("inf") for t, m in zip(theirs, mine)]
        result["tessera_vs_reference_fp32"] = {"documents": len(diffs), "max_abs_diff": max(diffs)}
    for bs in [int(x) for x in a.batch_sizes.split(",")]:
        best = 0.0
        for _ in range(a.repetitions):
            sync()
            t0 = time.perf_counter()
            out = model.encode_document(texts, batch_size=bs, convert_to_numpy=True)
            sync()
            best = max(best, len(texts) / (time.perf_counter() - t0))
        rows = sum(len(x) for x in out)
        result["rates"].append({"dtype": name, "batch": bs, "docs_per_sec": round(best, 1), "rows": rows})
        print(f"reference {name} batch {bs}: {best:.1f} docs/s", flush=True)
    del model
    if a.device.startswith("cuda"):
        torch.cuda.empty_cache()
text = json.dumps(result)
if a.out:
    open(a.out, "w").write(text)
print(text)
