"""gpu_vs_cpu_scoring_b1024: batched scoring of an MlNetRnn .onnx on ONNX Runtime's CUDA provider vs its CPU provider.

For a machine with an NVIDIA GPU and Python's onnxruntime-gpu (no .NET needed). Give it any model.onnx the library wrote with a
float window input (`mlnet-rnn forecast` writes out/forecast/model.onnx); it feeds random windows of the model's own width
in batches of 1,024 through a CPU session and a CUDA session, checks that both give the same numbers, and prints windows per
second for each and their ratio as JSON:

    python3 bench/gpu/score_gpu_vs_cpu.py out/forecast/model.onnx [--batches 200] [--batch 1024]
"""
import argparse
import json
import time

import numpy as np
import onnxruntime as ort


def throughput(session, name, batches, repeats=5):
    session.run(None, {name: batches[0]})  # warm-up: allocations, kernel selection
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        for batch in batches:
            session.run(None, {name: batch})
        best = max(best, sum(len(b) for b in batches) / (time.perf_counter() - start))
    return best


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--batches", type=int, default=200)
    args = parser.parse_args()

    if "CUDAExecutionProvider" not in ort.get_available_providers():
        raise SystemExit(f"this onnxruntime has no CUDA provider ({ort.get_available_providers()}); install onnxruntime-gpu")
    cpu = ort.InferenceSession(args.model, providers=["CPUExecutionProvider"])
    gpu = ort.InferenceSession(args.model, providers=["CUDAExecutionProvider", "CPUExecutionProvider"])
    if gpu.get_providers()[0] != "CUDAExecutionProvider":
        raise SystemExit(f"the CUDA session fell back to {gpu.get_providers()}")
    model_input = cpu.get_inputs()[0]
    width = model_input.shape[1]
    rng = np.random.default_rng(1)
    # Positive values around 100-600: valid for a model with a log transform too.
    batches = [rng.uniform(100, 600, size=(args.batch, width)).astype(np.float32) for _ in range(args.batches)]

    a = cpu.run(None, {model_input.name: batches[0]})[0]
    b = gpu.run(None, {model_input.name: batches[0]})[0]
    max_diff = float(np.max(np.abs(a - b)))
    cpu_rate = throughput(cpu, model_input.name, batches)
    gpu_rate = throughput(gpu, model_input.name, batches)
    print(json.dumps({
        "model": args.model, "batch": args.batch, "windows_per_run": args.batch * args.batches,
        "cpu_windows_per_second": round(cpu_rate), "gpu_windows_per_second": round(gpu_rate),
        "gpu_vs_cpu_scoring_b1024": round(gpu_rate / cpu_rate, 3), "max_abs_diff": max_diff,
        "onnxruntime": ort.__version__, "device": ort.get_device(),
    }, indent=2))


if __name__ == "__main__":
    main()
