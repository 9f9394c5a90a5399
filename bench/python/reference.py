"""PyTorch reference for the benchmark: what a PyLate user runs on the same safetensors checkpoint.

usage: reference.py MODEL_DIR CORPUS_JSONL THREADS BATCH_SIZE REPETITIONS
Encodes the corpus as ColBERT documents the way PyLate's encode does (length-sorted batches,
BERT forward, projection, skiplist and padding rows dropped, L2 normalization) and prints
{"docs_per_sec": ..., "torch": ...} as the last line.
"""
import json
import string
import sys
import time

import torch
from safetensors.torch import load_file
from transformers import AutoTokenizer, BertConfig, BertModel

model_dir, corpus, threads, batch_size, reps = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
torch.set_num_threads(threads)
config = BertConfig.from_pretrained(model_dir)
bert = BertModel(config, add_pooling_layer=False).eval()
state = load_file(f"{model_dir}/model.safetensors")
bert.load_state_dict({k[len("bert."):]: v for k, v in state.items() if k.startswith("bert.")}, strict=False)
linear = torch.nn.Linear(config.hidden_size, state["linear.weight"].shape[0], bias=False)
linear.weight.data.copy_(state["linear.weight"])
tok = AutoTokenizer.from_pretrained(model_dir)
meta = json.load(open(f"{model_dir}/artifact.metadata"))
d_id = tok.convert_tokens_to_ids(meta["doc_token_id"])
skip = torch.tensor(sorted({tok.convert_tokens_to_ids(c) for c in string.punctuation}))
texts = [json.loads(l)["text"] for l in open(corpus) if l.strip()]


def encode(texts):
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    out = [None] * len(texts)
    with torch.inference_mode():
        for s in range(0, len(order), batch_size):
            idx = order[s : s + batch_size]
            b = tok([texts[i] for i in idx], padding="longest", truncation=True, max_length=meta["doc_maxlen"] - 1, return_tensors="pt")
            ids = torch.cat([b["input_ids"][:, :1], torch.full((len(idx), 1), d_id), b["input_ids"][:, 1:]], dim=1)
            mask = torch.cat([b["attention_mask"][:, :1], torch.ones(len(idx), 1, dtype=torch.long), b["attention_mask"][:, 1:]], dim=1)
            h = linear(bert(input_ids=ids, attention_mask=mask).last_hidden_state)
            keep = mask.bool() & ~torch.isin(ids, skip)
            for j, i in enumerate(idx):
                out[i] = torch.nn.functional.normalize(h[j][keep[j]], dim=-1)
    return out


encode(texts[:8])
rates = []
for _ in range(reps):
    t0 = time.perf_counter()
    encode(texts)
    rates.append(len(texts) / (time.perf_counter() - t0))
rates.sort()
print(json.dumps({"docs_per_sec": rates[len(rates) // 2], "torch": torch.__version__}))
