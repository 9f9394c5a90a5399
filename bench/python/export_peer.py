"""Python peers of `tessera export` for the benchmark.

usage: export_peer.py MODEL_DIR TESSERA_FP32_GRAPH OUT_DIR
Writes OUT_DIR/torch-fp32.onnx (torch.onnx.export of the same BERT weights, the graph a Python
user makes) and OUT_DIR/ort-q8.onnx (onnxruntime's quantize_dynamic of Tessera's fp32 graph,
int8 weights, its defaults), and prints {"torch_export_s", "quantize_s", versions} as the last line.
"""
import json
import os
import sys
import time

import numpy as np
import onnx
import onnxruntime
import torch
from onnxruntime.quantization import QuantType, quantize_dynamic
from safetensors.torch import load_file
from transformers import BertConfig, BertModel

model_dir, tessera_graph, out_dir = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(out_dir, exist_ok=True)

config = BertConfig.from_pretrained(model_dir)
bert = BertModel(config, add_pooling_layer=False).eval()
state = load_file(f"{model_dir}/model.safetensors")
bert.load_state_dict({k[len("bert."):]: v for k, v in state.items() if k.startswith("bert.")}, strict=False)


class Backbone(torch.nn.Module):
    def __init__(self, bert):
        super().__init__()
        self.bert = bert

    def forward(self, input_ids, attention_mask, token_type_ids):
        return self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state


# A padded example: with an all-ones mask the trace drops the masking, and padded batches come out wrong.
ids = torch.tensor([[101] + [2000 + i for i in range(14)] + [102], [101, 2001, 2002, 102] + [0] * 12])
mask = (ids != 0).long()
t0 = time.perf_counter()
with torch.inference_mode():
    kwargs = dict(
        input_names=["input_ids", "attention_mask", "token_type_ids"],
        output_names=["last_hidden_state"],
        opset_version=17,
    )
    try:
        # The exporter torch recommends (dynamo), with its dynamic shapes.
        batch, seq = torch.export.Dim("batch"), torch.export.Dim("sequence")
        shapes = {"input_ids": {0: batch, 1: seq}, "attention_mask": {0: batch, 1: seq}, "token_type_ids": {0: batch, 1: seq}}
        torch.onnx.export(Backbone(bert), (ids, mask, torch.zeros_like(ids)), f"{out_dir}/torch-fp32.onnx", dynamo=True, dynamic_shapes=shapes, **kwargs)
        exporter = "dynamo"
    except Exception as e:  # noqa: BLE001 - fall back to the TorchScript exporter
        print(f"dynamo export failed ({e}); using the TorchScript exporter", file=sys.stderr)
        axes = {n: {0: "batch", 1: "sequence"} for n in kwargs["input_names"]}
        torch.onnx.export(Backbone(bert), (ids, mask, torch.zeros_like(ids)), f"{out_dir}/torch-fp32.onnx", dynamo=False, dynamic_axes=axes, **kwargs)
        exporter = "torchscript"
# One self-contained file, as the ONNX backend appends the projection to it (the dynamo exporter
# may write the weights beside the graph).
onnx.save_model(onnx.load(f"{out_dir}/torch-fp32.onnx"), f"{out_dir}/torch-fp32.onnx", save_as_external_data=False)
torch_export_s = time.perf_counter() - t0

# The graph must compute what the model computes, on a padded batch of another shape.
check = torch.tensor([[101, 2000, 2001, 2002, 2003, 102], [101, 2004, 102, 0, 0, 0], [101, 102, 0, 0, 0, 0]])
check_mask = (check != 0).long()
with torch.inference_mode():
    expected = bert(input_ids=check, attention_mask=check_mask, token_type_ids=torch.zeros_like(check)).last_hidden_state.numpy()
got = onnxruntime.InferenceSession(f"{out_dir}/torch-fp32.onnx").run(
    None, {"input_ids": check.numpy(), "attention_mask": check_mask.numpy(), "token_type_ids": np.zeros_like(check.numpy())}
)[0]
real = check_mask.numpy().astype(bool)
torch_graph_max_diff = float(np.abs(got - expected)[real].max())

t0 = time.perf_counter()
quantize_dynamic(tessera_graph, f"{out_dir}/ort-q8.onnx", weight_type=QuantType.QInt8)
quantize_s = time.perf_counter() - t0

print(json.dumps({
    "torch_export_s": torch_export_s,
    "quantize_s": quantize_s,
    "torch_graph_max_diff": torch_graph_max_diff,
    "exporter": exporter,
    "torch": torch.__version__,
    "onnxruntime": onnxruntime.__version__,
}))
