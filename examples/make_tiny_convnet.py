#!/usr/bin/env python3
"""Regenerates examples/tiny_convnet.onnx and its input (provenance of the shipped example).

Needs Debian's python3-onnx only; the weights come from Python's `random` with a
fixed seed, so the output is reproducible. BoundFlow itself never runs this.
"""
import json
import random

import onnx
from onnx import TensorProto, helper

random.seed(20261121)


def tensor(name, dims, scale):
    n = 1
    for d in dims:
        n *= d
    vals = [random.gauss(0.0, scale) for _ in range(n)]
    return helper.make_tensor(name, TensorProto.FLOAT, dims, vals)


inits = [
    tensor("conv.weight", [4, 1, 3, 3], 0.4),
    tensor("conv.bias", [4], 0.1),
    tensor("fc1.weight", [16, 144], 0.12),
    tensor("fc1.bias", [16], 0.1),
    tensor("fc2.weight", [3, 16], 0.3),
    tensor("fc2.bias", [3], 0.1),
]
nodes = [
    helper.make_node("Conv", ["input", "conv.weight", "conv.bias"], ["conv"], name="conv",
                     kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1]),
    helper.make_node("Relu", ["conv"], ["relu1"], name="relu1"),
    helper.make_node("MaxPool", ["relu1"], ["pool"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
    helper.make_node("Flatten", ["pool"], ["flat"], name="flatten", axis=1),
    helper.make_node("Gemm", ["flat", "fc1.weight", "fc1.bias"], ["fc1"], name="fc1", transB=1),
    helper.make_node("Relu", ["fc1"], ["relu2"], name="relu2"),
    helper.make_node("Gemm", ["relu2", "fc2.weight", "fc2.bias"], ["logits"], name="fc2", transB=1),
]
graph = helper.make_graph(
    nodes, "tiny_convnet",
    [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 1, 12, 12])],
    [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 3])],
    inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="boundflow-example")
onnx.checker.check_model(model)
onnx.save(model, "tiny_convnet.onnx")

x0 = [round(random.random(), 4) for _ in range(144)]
with open("tiny_convnet.input.json", "w") as f:
    json.dump({"x0": x0, "eps": 0.004, "input_shape": [1, 12, 12]}, f)
    f.write("\n")
# Margins of the predicted class 2 over the others: y2 - y0, y2 - y1.
with open("tiny_convnet.spec.json", "w") as f:
    json.dump({"C": [[-1, 0, 1], [0, -1, 1]]}, f)
    f.write("\n")
